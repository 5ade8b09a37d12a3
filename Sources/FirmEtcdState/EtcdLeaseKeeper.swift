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

    /// A keeper of the lease `id` that etcd already granted (`grant`).
    init(client: EtcdClient, id: Int, ttl: Int) {
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

    /// Whether a renewal task is running and not cancelled (for tests).
    var isRenewing: Bool { state.withLock { $0.task.map { !$0.isCancelled } ?? false } }

    /// Cancels the renewal task, if any, so that a test leaves nothing running.
    func stopRenewingForTests() { state.withLock { $0.task?.cancel() } }

    /// Why the lease is known to be lost, if it is.
    var lost: String? { state.withLock { $0.lostReason } }

    /// Starts the renewal task. It is started and stored in one step under the lock, so a
    /// `revoke` can't fall between the two and miss it; after `revoke`, or a second time, it
    /// starts nothing.
    func keepAlive() {
        let client = self.client, id = self.id, ttl = self.ttl
        state.withLock { state in
            guard !state.revoked, state.task == nil else { return }
            state.task = Task.detached { [weak self] in
                await Self.renew(client: client, id: id, ttl: ttl) { self?.markLost($0) }
            }
        }
    }

    /// Renews the lease every third of its TTL until cancelled, or until it is lost.
    private static func renew(client: EtcdClient, id: Int, ttl: Int, markLost: (String) -> Void) async {
        var lastRenewed = ContinuousClock.now
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(ttl * 1000 / 3))
            if Task.isCancelled { return }
            do {
                let answer = try await client.call("/v3/lease/keepalive", ["ID": .string(String(id))])
                let remaining = try answer.member("result").map { try Etcd.int($0, "TTL", url: client.address.url, in: -1...Int(Int32.max)) } ?? 0
                if remaining <= 0 {
                    markLost("its lease expired")
                    return
                }
                lastRenewed = ContinuousClock.now
            } catch is CancellationError {
                return
            } catch {
                if ContinuousClock.now - lastRenewed >= .seconds(ttl) {
                    markLost("no etcd member renewed its lease for \(ttl)s: \(error)")
                    return
                }
            }
        }
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
