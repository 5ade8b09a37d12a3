import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Waits on etcd's watch stream (`POST /v3/watch`, one JSON object per message) for any event
/// on one key, so that a waiter for a lock wakes when the holder lets go instead of polling.
enum EtcdWatch {
    /// Returns when `key` changes at or after `revision`, when `timeout` passes, or when the
    /// stream ends (the caller then looks again). It never throws: the caller's next look does.
    static func change(_ client: EtcdClient, key: String, from revision: Int, timeout: Duration) async {
        guard let target = try? await client.watchTarget() else { return }
        let body: JSON = ["create_request": ["key": Etcd.key(key), "start_revision": .string(String(revision))]]
        var request = URLRequest(url: target.url)
        request.httpMethod = "POST"
        request.httpBody = Data(JSONWriter(pretty: false).bytes(body))
        request.timeoutInterval = max(1, Double(timeout.components.seconds) + 1)
        if let auth = target.authorization { request.setValue(auth, forHTTPHeaderField: "Authorization") }
        let listener = WatchListener()
        let session = URLSession(configuration: .ephemeral, delegate: listener, delegateQueue: nil)
        let task = session.dataTask(with: request)
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await listener.wait() }
            group.addTask {
                try? await Task.sleep(for: timeout)
                listener.finish()
            }
            task.resume()
            await group.next()
            listener.finish()
            group.cancelAll()
        }
        task.cancel()
        session.invalidateAndCancel()
    }
}

/// Hears the watch stream's bytes; done at the first message with events, or at its end.
final class WatchListener: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    private let lock = NSLockBox()
    private var buffer: [UInt8] = []
    private var done = false
    private var continuation: CheckedContinuation<Void, Never>?

    func wait() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let resumeNow = lock.withLock { () -> Bool in
                if done { return true }
                continuation = c
                return false
            }
            if resumeNow { c.resume() }
        }
    }

    func finish() {
        let c = lock.withLock { () -> CheckedContinuation<Void, Never>? in
            done = true
            defer { continuation = nil }
            return continuation
        }
        c?.resume()
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        let sawEvent = lock.withLock { () -> Bool in
            buffer.append(contentsOf: data)
            if buffer.count > 1 << 20 { return true }  // far more than a lock's events: look again
            while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(buffer[..<newline])
                buffer.removeSubrange(...newline)
                if Self.hasEvents(line) { return true }
            }
            // The gateway may not end a message with a newline: try the buffer as a whole.
            if Self.hasEvents(buffer) { return true }
            return false
        }
        if sawEvent { finish() }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        finish()
    }

    /// Whether `bytes` is a message that carries events, or an error (either way: look again).
    static func hasEvents(_ bytes: [UInt8]) -> Bool {
        guard !bytes.isEmpty, let node = try? JSONReader.parse(bytes, maxDepth: 32) else { return false }
        if node.member("error") != nil { return true }
        guard let result = node.member("result") else { return false }
        if let events = result.member("events"), case .array(let items) = events.kind, !items.isEmpty { return true }
        return Etcd.bool(result, "canceled")
    }
}
