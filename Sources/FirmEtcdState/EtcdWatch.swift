import Synchronization
import FirmBase
import FirmModel

/// Waits on etcd's watch stream (`POST /v3/watch`, one JSON object per message) for any event
/// on one key, so that a waiter for a lock wakes when the holder lets go instead of polling.
enum EtcdWatch {
    /// Returns when `key` changes at or after `revision`, when `timeout` passes, or when the
    /// stream ends (the caller then looks again). It never throws: the caller's next look does.
    /// With `rangeEnd`, any key from `key` up to (not including) `rangeEnd`.
    static func change(_ client: EtcdClient, key: String, rangeEnd: String? = nil, from revision: Int, timeout: Duration) async {
        guard let target = try? await client.watchTarget() else { return }
        let request: JSON = rangeEnd.map { ["key": Etcd.key(key), "range_end": Etcd.key($0), "start_revision": .string(String(revision))] }
            ?? ["key": Etcd.key(key), "start_revision": .string(String(revision))]
        let body: JSON = ["create_request": request]
        let listener = WatchListener()
        do {
            try await target.connection.stream("/v3/watch", body: JSONWriter(pretty: false).bytes(body),
                                               headers: target.authorization.map { [("Authorization", $0)] } ?? [],
                                               until: ContinuousClock.now + timeout) { listener.take($0) }
        } catch {
            // A broken stream: the caller looks at the key again, after a short pause.
            try? await Task.sleep(for: .milliseconds(100))
        }
    }
}

/// Reads the watch stream's bytes; says stop at the first message with events, or an error.
final class WatchListener: Sendable {
    private let buffer = Mutex<[UInt8]>([])

    /// Takes more bytes; false when the waiter should look again.
    func take(_ data: [UInt8]) -> Bool {
        buffer.withLock { buffer in
            buffer.append(contentsOf: data)
            if buffer.count > 1 << 20 { return false }  // far more than a lock's events: look again
            while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(buffer[..<newline])
                buffer.removeSubrange(...newline)
                if Self.hasEvents(line) { return false }
            }
            // The gateway may not end a message with a newline: try the buffer as a whole.
            if Self.hasEvents(buffer) { return false }
            return true
        }
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
