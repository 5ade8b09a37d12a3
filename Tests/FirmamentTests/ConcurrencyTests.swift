import Foundation
import Synchronization
import Testing
@testable import FirmBase
@testable import FirmModel
@testable import FirmEC2
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

    @Test("after PrepareSandboxInfra or CleanupSandboxInfra returns, the next lookup of the sandbox's network looks again")
    func networkForgottenBeforeNextLookup() async throws {
        // Nothing listens on port 1: every call fails at once, as a lookup that looks again does.
        var settings = EC2Settings()
        settings.region = "us-east-1"
        settings.endpoint = URL(string: "http://127.0.0.1:1/")
        let environment = Environment { ["AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "secret"][$0] }
        let provider = EC2Provider(name: "aws", sandbox: "lab", settings: settings, environment: environment)
        let stale = EC2Connection.SandboxNetwork(vpc: "vpc-stale", securityGroup: "sg-stale", keyName: nil)
        var staleLookups = 0
        for round in 0..<40 {
            provider.connection.remember(stale)
            if round % 2 == 0 {
                _ = try? await provider.prepareSandboxInfra(InfraRequest(sandbox: "lab", cloudCIDR: nil, subnets: [], createKeys: false))
            } else {
                try? await provider.cleanSandboxInfra(InfraCleanup(sandbox: "lab", all: true, subnetIds: []))
            }
            if let found = try? await provider.connection.sandboxNetwork(operation: "deploy"), found.vpc == stale.vpc { staleLookups += 1 }
        }
        #expect(staleLookups == 0, "\(staleLookups) of 40 lookups after prepare or cleanup found the network from before")
    }
}
