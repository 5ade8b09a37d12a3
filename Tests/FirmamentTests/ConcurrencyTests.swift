import Foundation
import Synchronization
import Testing
@testable import FirmBase
@testable import FirmModel
@testable import FirmEtcdState

/// Races and cancellation: what must hold however tasks interleave.
@Suite("concurrency: lease renewal, cancellation of waits and calls")
struct ConcurrencyTests {
    /// A client of an etcd that is not there (nothing listens on port 1), which gives up at once.
    static func absentEtcd() throws -> EtcdClient {
        try EtcdClient(EtcdAddress("etcd://127.0.0.1:1/firm"), environment: Environment { _ in nil }, retryWindow: .zero)
    }

    @Test("a lease kept alive after it was revoked starts no renewal")
    func keepAliveAfterRevoke() async throws {
        let keeper = EtcdLeaseKeeper(client: try Self.absentEtcd(), id: 7, ttl: 30)
        await keeper.revoke()
        keeper.keepAlive()
        #expect(!keeper.isRenewing)
        keeper.stopRenewingForTests()
    }

    @Test("revoke racing keepAlive never leaves a renewal running")
    func revokeRacingKeepAlive() async throws {
        let client = try Self.absentEtcd()
        var survivors = 0
        for round in 0..<300 {
            let keeper = EtcdLeaseKeeper(client: client, id: round + 1, ttl: 30)
            // Both wait for each other, then go; which is added first alternates.
            let ready = Atomic(0)
            let start: @Sendable () async -> Void = {
                ready.add(1, ordering: .sequentiallyConsistent)
                while ready.load(ordering: .sequentiallyConsistent) < 2 { await Task.yield() }
            }
            await withTaskGroup(of: Void.self) { group in
                let keep: @Sendable () async -> Void = { await start(); keeper.keepAlive() }
                let revoke: @Sendable () async -> Void = { await start(); await keeper.revoke() }
                for body in round % 2 == 0 ? [keep, revoke] : [revoke, keep] { group.addTask { await body() } }
            }
            if keeper.isRenewing { survivors += 1 }
            keeper.stopRenewingForTests()
        }
        #expect(survivors == 0, "\(survivors) of 300 renewals outlived their revocation")
    }
}
