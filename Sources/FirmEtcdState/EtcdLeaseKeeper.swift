import Foundation
import Synchronization
import FirmBase
import FirmModel

/// A lease on etcd kept alive by a task that renews it every third of its TTL. When etcd says
/// the lease is gone, or no renewal succeeds for a whole TTL, it is marked lost.
final class EtcdLeaseKeeper: Sendable {
    let client: EtcdClient
    let id: Int
    let ttl: Int
    private let state = Mutex(State())

    private struct State {
        var lostReason: String?
        var task: Task<Void, Never>?
        var revoked = false
    }

    private init(client: EtcdClient, id: Int, ttl: Int) {
        self.client = client
        self.id = id
        self.ttl = ttl
    }

    /// Grants a lease of `ttl` seconds; not yet kept alive (`keepAlive()`).
    static func grant(_ client: EtcdClient, ttl: Int, location: String) async throws -> EtcdLeaseKeeper {
        let grant = try await client.call("/v3/lease/grant", ["TTL": .string(String(ttl))])
        let id = try Etcd.int(grant, "ID", url: client.address.url)
        guard id != 0 else { throw StateError.unavailable(location: location, reason: "etcd granted no lease") }
        return EtcdLeaseKeeper(client: client, id: id, ttl: ttl)
    }

    /// Why the lease is known to be lost, if it is.
    var lost: String? { state.withLock { $0.lostReason } }

    func keepAlive() {
        let client = self.client, id = self.id, ttl = self.ttl
        let task = Task.detached { [weak self] in
            var lastRenewed = ContinuousClock.now
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(ttl * 1000 / 3))
                if Task.isCancelled { return }
                do {
                    let answer = try await client.call("/v3/lease/keepalive", ["ID": .string(String(id))])
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
        state.withLock { $0.task = task }
    }

    private func markLost(_ reason: String) {
        state.withLock { if $0.lostReason == nil { $0.lostReason = reason } }
    }

    /// Stops renewing and revokes the lease, which deletes every key attached to it.
    func revoke() async {
        let first = state.withLock { state in
            state.task?.cancel()
            defer { state.revoked = true }
            return !state.revoked
        }
        guard first else { return }
        _ = try? await client.call("/v3/lease/revoke", ["ID": .string(String(id))])
    }

    /// Revokes without waiting: the revocation is finished before `firm` exits (`PendingWork`).
    func revokeSoon() {
        PendingWork.shared.add(Task { await self.revoke() })
    }
}
