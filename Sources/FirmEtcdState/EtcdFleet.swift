import Foundation
import Synchronization
import FirmBase
import FirmModel

/// Reconcile replicas sharing the sandboxes of one etcd prefix. Each replica registers
/// `PREFIX/_replicas/<id>` on a lease it keeps alive, and claims sandboxes with
/// `PREFIX/_claims/<sandbox>` on the same lease, so a replica that dies drops its registration
/// and its claims together within one TTL. `balance` keeps each replica near its share: the
/// sandboxes divided by the live replicas, rounded up. A claim only says who should do the
/// work; the sandbox's state lock still makes sure that two never apply one sandbox at once.
public final class EtcdFleet: FleetClaims {
    public let replica: String
    let client: EtcdClient
    let prefix: String
    let ttl: Int
    /// The registration's lease, once granted.
    private let lease = Mutex<EtcdLeaseKeeper?>(nil)
    /// The revision the last `balance` read the claims at: a watch starts after it.
    private let seen = Mutex(0)

    public init(url: String, replica: String, ttl: Int) throws(StateError) {
        let address = try EtcdAddress(url)
        client = try EtcdClient(address)
        prefix = address.prefix
        self.replica = replica
        self.ttl = ttl
    }

    var replicasPrefix: String { prefix + "/_replicas/" }
    var claimsPrefix: String { prefix + "/_claims/" }

    /// The sandboxes under the prefix with the blueprint each belongs to, from the index.
    public func sandboxes() async throws -> [String: String] {
        let index = EtcdKeys.indexPrefix(prefix)
        var out: [String: String] = [:]
        for kv in try await client.rangeAll(prefix: index).kvs {
            let name = String(kv.key.dropFirst(index.count))
            guard Name.isValid(name) else { continue }
            out[name] = String(decoding: kv.value, as: UTF8.self)
        }
        return out
    }

    /// The lease, registered; a new one when the last was lost (its claims went with it).
    private func registered() async throws -> EtcdLeaseKeeper {
        if let lease = lease.withLock({ $0 }), lease.lost == nil { return lease }
        let fresh = try await EtcdLeaseKeeper.grant(client, ttl: ttl, location: client.address.url)
        let value: JSON = ["replica": .string(replica), "pid": .int(Int(getpid())), "since": .string(Timestamp.now())]
        _ = try await client.call("/v3/kv/put", ["key": Etcd.key(replicasPrefix + replica), "value": .string(Base64.encode(JSONWriter(pretty: false).bytes(value))),
                                                "lease": .string(String(fresh.id))])
        fresh.keepAlive()
        lease.withLock { $0 = fresh }
        return fresh
    }

    /// Claims and gives back sandboxes of `work` so that this replica holds about its share;
    /// the sandboxes it holds afterwards, sorted.
    public func balance(_ work: [String]) async throws -> [String] {
        let lease = try await registered()
        let live = try await client.rangeAll(prefix: replicasPrefix, keysOnly: true).kvs.count
        let (claims, revision) = try await client.rangeAll(prefix: claimsPrefix)
        seen.withLock { $0 = max($0, revision) }
        var owner: [String: (replica: String, createRevision: Int)] = [:]
        for kv in claims { owner[String(kv.key.dropFirst(claimsPrefix.count))] = (String(decoding: kv.value, as: UTF8.self), kv.createRevision) }
        let wanted = Set(work)
        let share = work.isEmpty ? 0 : (work.count + max(live, 1) - 1) / max(live, 1)
        var mine = work.filter { owner[$0]?.replica == replica }.sorted()
        // Give back claims beyond the share (and claims of sandboxes that are no longer work).
        for name in owner.keys where owner[name]?.replica == replica && !wanted.contains(name) { await giveBack(name, owner[name]!.createRevision) }
        while mine.count > share, let name = mine.popLast() { await giveBack(name, owner[name]!.createRevision) }
        // Claim unclaimed ones up to the share, starting from a place that differs by replica,
        // so that replicas starting together don't all race for the same ones.
        let free = work.filter { owner[$0] == nil }.sorted()
        let offset = free.isEmpty ? 0 : abs(replica.hashValue) % free.count
        for name in free[offset...] + free[..<offset] where mine.count < share {
            let key = claimsPrefix + name
            let result = try await client.txn(compare: [Etcd.created(key, 0)], success: [Etcd.put(key, Array(replica.utf8), lease: lease.id)])
            if result.succeeded { mine.append(name) }
        }
        return mine.sorted()
    }

    private func giveBack(_ name: String, _ createRevision: Int) async {
        let key = claimsPrefix + name
        _ = try? await client.txn(compare: [Etcd.created(key, createRevision)], success: [Etcd.delete(key)])
    }

    /// Watches every key of the fleet (`PREFIX/_…`: replicas, claims and the sandbox index)
    /// from just after the last balance's read, so that a change made since is not missed: a
    /// replica's lease that ran out drops its claims, and this returns at once.
    public func awaitChange(until deadline: ContinuousClock.Instant) async {
        let from = seen.withLock { $0 } + 1
        let now = ContinuousClock.now
        guard deadline > now else { return }
        // "_" + 1 is "`": the range holds every key under PREFIX/_ and nothing else.
        await EtcdWatch.change(client, key: prefix + "/_", rangeEnd: prefix + "/`", from: from, timeout: deadline - now)
    }

    /// Runs `body` with the registration's lease as the one a sandbox lock is put on
    /// (`EtcdLock.acquire`), while it is kept alive; otherwise as it is.
    public func withReplicaLease<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        guard let held = lease.withLock({ $0 }), held.lost == nil else { return try await body() }
        return try await EtcdLock.$replicaLease.withValue(held) { try await body() }
    }

    /// The revocation of `leave`, which a second caller waits for too.
    private let leaving = Mutex<Task<Void, Never>?>(nil)

    /// Leaves the fleet: the registration and every claim go at once. A second call (a second
    /// signal during the stop) waits for the same revocation.
    public func leave() async {
        let revocation = leaving.withLock { leaving in
            if let leaving { return leaving }
            let held = lease.withLock { lease in
                defer { lease = nil }
                return lease
            }
            let task = Task<Void, Never> {
                if let held { await held.revoke() }
            }
            leaving = task
            return task
        }
        await revocation.value
    }
}
