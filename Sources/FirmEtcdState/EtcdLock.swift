import Foundation
import Synchronization
import FirmBase
import FirmModel

/// The lock on one sandbox's etcd state: the key `PREFIX/<sandbox>/lock`, created only if it is
/// absent and attached to a lease that a task keeps alive while the holder runs. A holder that
/// dies or is cut off loses it when the lease's TTL runs out, so nothing stays stuck. Every
/// write of the holder is a transaction conditioned on the key's create revision (`fence`), so
/// a holder that lost its lease (paused, partitioned) can't write a byte after another took over.
///
/// A reconcile replica's cycles put the key on the replica's own lease (`replicaLease`), which
/// it keeps alive anyway and which goes with its claims: taking the lock is then one write and
/// letting it go another (deleting the key, fenced), instead of a grant, the lock and a revoke.
public final class EtcdLock: StateLease, Sendable {
    /// The lease a lock taken in this task goes on, when set (a reconcile replica's).
    @TaskLocal static var replicaLease: EtcdLeaseKeeper?

    public let info: LockInfo
    let key: String
    let lease: EtcdLeaseKeeper
    /// Whether the lease is the replica's, shared by other locks and its claims: it is not
    /// revoked on release; the key is deleted.
    let shared: Bool
    /// The lock key's create revision: ours as long as the key is.
    let createRevision: Int
    private let released = Mutex(false)

    private init(info: LockInfo, key: String, lease: EtcdLeaseKeeper, shared: Bool, createRevision: Int) {
        self.info = info
        self.key = key
        self.lease = lease
        self.shared = shared
        self.createRevision = createRevision
        lease.keepAlive()
    }

    /// The compare that every write of this holder carries.
    var fence: JSON { Etcd.created(key, createRevision) }

    /// Why the lock is known to be lost, if it is.
    var lost: String? { lease.lost }

    /// Takes the lock, waiting up to `timeout` (nil: fail at once) on a watch of the key.
    static func acquire(_ client: EtcdClient, key: String, location: String, operation: String, timeout: Duration?, ttl: Int) async throws -> EtcdLock {
        let url = client.address.url
        let deadline = ContinuousClock.now + (timeout ?? .zero)
        while true {
            let shared = replicaLease.flatMap { $0.lost == nil ? $0 : nil }
            let lease: EtcdLeaseKeeper
            if let shared { lease = shared } else { lease = try await EtcdLeaseKeeper.grant(client, ttl: ttl, location: location) }
            func giveBack() async { if shared == nil { await lease.revoke() } }
            let info = LockInfo(id: UUIDText.random(), operation: operation, who: "\(LockHolder.user())@\(ProcessInfo.processInfo.hostName)",
                                pid: getpid(), created: Timestamp.now(), version: FirmamentVersion.current)
            let value = JSONWriter(pretty: false).bytes(info.json)
            let result: (succeeded: Bool, revision: Int, responses: [JSONNode])
            do {
                result = try await client.txn(compare: [Etcd.created(key, 0)], success: [Etcd.put(key, value, lease: lease.id)], failure: [Etcd.range(key)])
            } catch {
                await giveBack()
                throw error
            }
            if result.succeeded { return EtcdLock(info: info, key: key, lease: lease, shared: shared != nil, createRevision: result.revision) }
            let holderKV = try result.responses.first?.member("response_range").map { try Etcd.kvs($0, url: url) }?.first
            // A try whose answer was lost and that was sent again finds its own key.
            if let kv = holderKV, kv.lease == lease.id, decodeHolder(kv.value)?.id == info.id {
                return EtcdLock(info: info, key: key, lease: lease, shared: shared != nil, createRevision: kv.createRevision)
            }
            await giveBack()
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

    /// Stops renewing and revokes the lease, which deletes the key; on a replica's lease,
    /// deletes the key (if it is still this holder's). It returns at once; the release is
    /// finished before the process exits (`PendingWork`), and the TTL covers one that never arrives.
    public func release() {
        let first = released.withLock { released in
            defer { released = true }
            return !released
        }
        guard first else { return }
        guard shared else { return lease.revokeSoon() }
        let client = lease.client, key = key, fence = fence
        PendingWork.shared.add(Task { _ = try? await client.txn(compare: [fence], success: [Etcd.delete(key)]) })
    }
}

/// Who is asking for a lock.
enum LockHolder {
    static func user() -> String {
        ProcessInfo.processInfo.environment["USER"] ?? ProcessInfo.processInfo.environment["LOGNAME"] ?? "uid\(getuid())"
    }
}
