import Foundation
import FirmBase
import FirmModel

/// A lease on etcd kept alive by a task that renews it every third of its TTL. When etcd says
/// the lease is gone, or no renewal succeeds for a whole TTL, it is marked lost.
final class EtcdLeaseKeeper: @unchecked Sendable {
    let client: EtcdClient
    let id: Int
    let ttl: Int
    private let box = NSLockBox()
    private var lostReason: String?
    private var task: Task<Void, Never>?
    private var revoked = false

    private init(client: EtcdClient, id: Int, ttl: Int) {
        self.client = client
        self.id = id
        self.ttl = ttl
    }

    /// Grants a lease of `ttl` seconds; not yet kept alive (`keepAlive()`).
    static func grant(_ client: EtcdClient, ttl: Int, location: String) async throws -> EtcdLeaseKeeper {
        let grant = try await client.call("/v3/lease/grant", ["TTL": .string(String(ttl))])
        let id = try Etcd.int(grant, "ID", url: client.address.url, in: 0...Int.max)
        guard id != 0 else { throw StateError.unavailable(location: location, reason: "etcd granted no lease") }
        return EtcdLeaseKeeper(client: client, id: id, ttl: ttl)
    }

    /// Why the lease is known to be lost, if it is.
    var lost: String? { box.withLock { lostReason } }

    func keepAlive() {
        let client = self.client, id = self.id, ttl = self.ttl
        let task = Task.detached { [weak self] in
            var lastRenewed = ContinuousClock.now
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(ttl * 1000 / 3))
                if Task.isCancelled { return }
                do {
                    let answer = try await client.call("/v3/lease/keepalive", ["ID": .string(String(id))])
                    let remaining = try answer.member("result").map { try Etcd.int($0, "TTL", url: client.address.url, in: -1...Int(Int32.max)) } ?? 0
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
        box.withLock { self.task = task }
    }

    private func markLost(_ reason: String) {
        box.withLock { if lostReason == nil { lostReason = reason } }
    }

    /// Stops renewing and revokes the lease, which deletes every key attached to it.
    func revoke() async {
        let first = box.withLock { () -> Bool in
            task?.cancel()
            defer { revoked = true }
            return !revoked
        }
        guard first else { return }
        _ = try? await client.call("/v3/lease/revoke", ["ID": .string(String(id))])
    }

    /// Revokes without waiting: the revocation is finished before `firm` exits (`PendingWork`).
    func revokeSoon() {
        PendingWork.shared.add(Task { await self.revoke() })
    }
}
