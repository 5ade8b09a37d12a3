import Foundation

/// The lock on one sandbox's etcd state: the key `PREFIX/<sandbox>/lock`, created only if it is
/// absent and attached to a lease that a task keeps alive while the holder runs. A holder that
/// dies or is cut off loses it when the lease's TTL runs out, so nothing stays stuck. Every
/// write of the holder is a transaction conditioned on the key's create revision (`fence`), so
/// a holder that lost its lease (paused, partitioned) can't write a byte after another took over.
public final class EtcdLock: StateLease, @unchecked Sendable {
    public let info: LockInfo
    let key: String
    let lease: Int
    /// The lock key's create revision: ours as long as the key is.
    let createRevision: Int
    let client: EtcdClient
    let ttl: Int
    private let box = NSLockBox()
    private var released = false
    private var lostReason: String?
    private var keepalive: Task<Void, Never>?

    private init(info: LockInfo, key: String, lease: Int, createRevision: Int, client: EtcdClient, ttl: Int) {
        self.info = info
        self.key = key
        self.lease = lease
        self.createRevision = createRevision
        self.client = client
        self.ttl = ttl
    }

    /// The compare that every write of this holder carries.
    var fence: JSON { Etcd.created(key, createRevision) }

    /// Why the lock is known to be lost, if it is.
    var lost: String? { box.withLock { lostReason } }

    /// Takes the lock, waiting up to `timeout` (nil: fail at once) on a watch of the key.
    static func acquire(_ client: EtcdClient, key: String, location: String, operation: String, timeout: Duration?, ttl: Int) async throws -> EtcdLock {
        let url = client.address.url
        let deadline = ContinuousClock.now + (timeout ?? .zero)
        while true {
            let grant = try await client.call("/v3/lease/grant", ["TTL": .string(String(ttl))])
            let lease = try Etcd.int(grant, "ID", url: url)
            guard lease != 0 else { throw StateError.unavailable(location: location, reason: "etcd granted no lease") }
            let info = LockInfo(id: UUIDText.random(), operation: operation, who: "\(LockHolder.user())@\(ProcessInfo.processInfo.hostName)",
                                pid: getpid(), created: Timestamp.now(), version: FirmamentVersion.current)
            let value = JSONWriter(pretty: false).bytes(info.json)
            let result: (succeeded: Bool, revision: Int, responses: [JSONNode])
            do {
                result = try await client.txn(compare: [Etcd.created(key, 0)], success: [Etcd.put(key, value, lease: lease)], failure: [Etcd.range(key)])
            } catch {
                await revoke(client, lease)
                throw error
            }
            if result.succeeded {
                let lock = EtcdLock(info: info, key: key, lease: lease, createRevision: result.revision, client: client, ttl: ttl)
                lock.startKeepalive()
                return lock
            }
            let holderKV = try result.responses.first?.member("response_range").map { try Etcd.kvs($0, url: url) }?.first
            // A try whose answer was lost and that was sent again finds its own key.
            if let kv = holderKV, kv.lease == lease, decodeHolder(kv.value)?.id == info.id {
                let lock = EtcdLock(info: info, key: key, lease: lease, createRevision: kv.createRevision, client: client, ttl: ttl)
                lock.startKeepalive()
                return lock
            }
            await revoke(client, lease)
            let now = ContinuousClock.now
            if now >= deadline {
                throw StateError.locked(location: location, holder: holderKV.flatMap { decodeHolder($0.value) })
            }
            await EtcdWatch.change(client, key: key, from: result.revision + 1, timeout: deadline - now)
        }
    }

    /// Who holds a lock, from the key's value; nil when it can't be read.
    static func decodeHolder(_ bytes: [UInt8]) -> LockInfo? {
        guard let node = try? JSONReader.parse(bytes, maxDepth: 8) else { return nil }
        var context = DecodingContext(file: "lock")
        guard let info = LockInfo.decode(node, &context), context.diagnostics.isEmpty else { return nil }
        return info
    }

    static func revoke(_ client: EtcdClient, _ lease: Int) async {
        _ = try? await client.call("/v3/lease/revoke", ["ID": .string(String(lease))])
    }

    /// Renews the lease every third of its TTL. When etcd says the lease is gone, or no renewal
    /// succeeds for a whole TTL, the lock is marked lost (the fence has already made it so).
    private func startKeepalive() {
        let client = self.client, lease = self.lease, ttl = self.ttl
        keepalive = Task.detached { [weak self] in
            var lastRenewed = ContinuousClock.now
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(ttl * 1000 / 3))
                if Task.isCancelled { return }
                do {
                    let answer = try await client.call("/v3/lease/keepalive", ["ID": .string(String(lease))])
                    let remaining = try answer.member("result").map { try Etcd.int($0, "TTL", url: client.address.url) } ?? 0
                    if remaining <= 0 {
                        self?.markLost("its lease expired")
                        return
                    }
                    lastRenewed = ContinuousClock.now
                } catch is CancellationError {
                    return
                } catch {
                    if ContinuousClock.now - lastRenewed >= .seconds(ttl) {
                        self?.markLost("no etcd member renewed its lease for \(ttl)s: \(error)")
                        return
                    }
                }
            }
        }
    }

    private func markLost(_ reason: String) {
        box.withLock { if lostReason == nil { lostReason = reason } }
    }

    /// Stops renewing and revokes the lease, which deletes the key. It returns at once; the
    /// revocation is finished before the process exits (`PendingWork`), and the TTL covers one
    /// that never arrives.
    public func release() {
        let first = box.withLock { () -> Bool in
            defer { released = true }
            return !released
        }
        guard first else { return }
        keepalive?.cancel()
        let client = self.client, lease = self.lease
        PendingWork.shared.add(Task { await Self.revoke(client, lease) })
    }
}

/// Work started by a call that had to return at once, such as a lock's release over the
/// network; `firm` waits for it, briefly, before it exits.
public final class PendingWork: @unchecked Sendable {
    public static let shared = PendingWork()
    private let box = NSLockBox()
    private var tasks: [Task<Void, Never>] = []

    func add(_ task: Task<Void, Never>) {
        box.withLock { tasks.append(task) }
    }

    /// Waits for everything added so far, at most `limit`.
    public func drain(within limit: Duration) async {
        let pending = box.withLock { () -> [Task<Void, Never>] in
            defer { tasks = [] }
            return tasks
        }
        guard !pending.isEmpty else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { for task in pending { await task.value } }
            group.addTask { try? await Task.sleep(for: limit) }
            await group.next()
            group.cancelAll()
        }
    }
}

/// Who is asking for a lock.
enum LockHolder {
    static func user() -> String {
        ProcessInfo.processInfo.environment["USER"] ?? ProcessInfo.processInfo.environment["LOGNAME"] ?? "uid\(getuid())"
    }
}
