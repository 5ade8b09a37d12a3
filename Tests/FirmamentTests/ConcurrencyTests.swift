import Foundation
import Synchronization
import Testing
import FirmTestSupport
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

    // MARK: cancellation
    //
    // Other tests block threads of the cooperative pool (they wait for firm processes), which
    // can delay any task here by seconds. So "at once" is checked where the pool plays no part:
    // cancelling a call shuts its socket down in `cancel()` itself, and the server sees the
    // connection close (a blocking wait here, of at most `closeBound`). Whether and how the
    // call then ends is waited for generously.

    /// The longest the server may wait for a cancelled call's connection to close: far above
    /// the microseconds it takes, far below the timeouts that would close it otherwise.
    static let closeBound = Duration.seconds(2)

    @Test("a POST to a server that never answers ends with CancellationError as soon as its task is cancelled")
    func postCancelled() async throws {
        let server = try SilentServer()
        defer { server.stop() }
        let client = HTTP1Client(host: "127.0.0.1", port: server.port, timeout: .seconds(60))
        let call = Task { try await client.post("/v3/kv/range", body: Array("{}".utf8)) }
        try await Self.cancelAtServer(call, server)
    }

    @Test("a stream from a server that never answers ends with CancellationError as soon as its task is cancelled")
    func streamCancelled() async throws {
        let server = try SilentServer()
        defer { server.stop() }
        let client = HTTP1Client(host: "127.0.0.1", port: server.port, timeout: .seconds(60))
        let call = Task {
            try await client.stream("/v3/watch", body: Array("{}".utf8), until: ContinuousClock.now + .seconds(60)) { _ in true }
        }
        try await Self.cancelAtServer(call, server)
    }

    @Test("an etcd call to a member that never answers ends with CancellationError as soon as its task is cancelled")
    func etcdCallCancelled() async throws {
        let server = try SilentServer()
        defer { server.stop() }
        // Its calls time out after 5 s, and go on trying for 10 s.
        let client = try EtcdClient(EtcdAddress("etcd://127.0.0.1:\(server.port)/firm"), environment: Environment { _ in nil })
        let call = Task { try await client.call("/v3/kv/range", ["key": Etcd.key("/firm/x")]) }
        try await Self.cancelAtServer(call, server)
    }

    @Test("calls waiting for answers hold no thread that Swift's tasks need; a client that blocked the pool would be caught")
    func waitingCallsLeaveThePoolFree() async throws {
        // In a process of its own, with a pool that never grows (see Tests/Probes/main.swift):
        // here, other tests' waits on the pool would make it a question of time.
        let environment = ProcessInfo.processInfo.environment.merging(["LIBDISPATCH_COOPERATIVE_POOL_STRICT": "1"]) { $1 }
        let probe = Self.probes
        let (real, wrong) = try await DispatchQueue(label: "firm.test.probe").perform {
            (try runChild(probe, ["pool"], environment: environment), try runChild(probe, ["pool", "--block-on-pool"], environment: environment))
        }
        #expect(real.status == 0 && real.stdout.hasPrefix("free:"), "\(real.stdout)\(real.stderr)")
        #expect(wrong.status == 1 && wrong.stdout.hasPrefix("held:"), "the probe can tell a client that blocks the pool: \(wrong.stdout)\(wrong.stderr)")
    }

    /// firm-test-probes, next to the test bundle.
    static let probes = builtProduct("firm-test-probes")

    /// Waits for `call` to reach `server`, cancels it, and expects the server to see its
    /// connection close at once and the call to end with CancellationError.
    static func cancelAtServer<T: Sendable>(_ call: Task<T, any Error>, _ server: SilentServer) async throws {
        guard await server.accept(within: .seconds(60)) else {
            Issue.record("the request did not reach the server")
            call.cancel()
            return
        }
        call.cancel()
        #expect(server.sawClose(within: closeBound), "the cancelled call's connection closed at once")
        try await expectCancellationError(call)
    }

    @Test("a call waiting for a provider's only slot leaves with CancellationError when its task is cancelled, holding nothing")
    func gateWaiterCancelled() async throws {
        let gate = ProviderGate(limits: ProviderLimits(concurrency: 1))
        try await gate.enter()
        let waiter = Task { try await gate.enter() }
        for _ in 0..<5000 where gate.waiting == 0 { try await Task.sleep(for: .milliseconds(1)) }
        #expect(gate.waiting == 1)
        waiter.cancel()
        if try await !Self.expectCancellationError(waiter) { gate.leave() }  // (stuck: let it in, so that it ends)
        #expect(gate.waiting == 0 && gate.inUse == 1, "the line is empty, and the slot is still ours")
        gate.leave()
        #expect(gate.inUse == 0)
    }

    @Test("a call waiting for a token leaves with CancellationError when its task is cancelled, and gives its slot back")
    func tokenWaitCancelled() async throws {
        // One token, then one every 1,000 s.
        let gate = ProviderGate(limits: ProviderLimits(concurrency: 1, requestsPerSecond: 0.001))
        try await gate.enter()
        gate.leave()
        let waiter = Task { try await gate.enter() }
        for _ in 0..<5000 where gate.inUse == 0 { try await Task.sleep(for: .milliseconds(1)) }
        #expect(gate.inUse == 1, "the waiter holds the slot while it waits for a token")
        waiter.cancel()
        try await Self.expectCancellationError(waiter)
        #expect(gate.inUse == 0, "the slot was given back")
    }

    /// Expects `task`, cancelled, to end with CancellationError (waiting up to a minute);
    /// whether it ended.
    @discardableResult
    static func expectCancellationError<T: Sendable>(_ task: Task<T, any Error>) async throws -> Bool {
        guard await ends(task, within: .seconds(60)) else {
            Issue.record("the cancelled call did not end within 60 s")
            return false
        }
        let result = await task.result
        #expect(throws: CancellationError.self) { try result.get() }
        return true
    }

    /// Whether `task` ends within `limit` (it is not waited for beyond that: awaiting a task's
    /// result can't be cancelled, so a watcher notes when it ends).
    static func ends<T: Sendable>(_ task: Task<T, any Error>, within limit: Duration) async -> Bool {
        let ended = Flag()
        Task { _ = await task.result; ended.set() }
        let deadline = ContinuousClock.now + limit
        while !ended.isSet, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(2)) }
        return ended.isSet
    }
}

/// A flag set once, from any task.
final class Flag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}

/// A TCP server on 127.0.0.1 that accepts connections and never says a word.
final class SilentServer: Sendable {
    let port: Int
    private let listener: Int32
    private let accepted = Mutex<[Int32]>([])

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var size = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &size) }
        }
        guard fd >= 0, bound == 0, named == 0, listen(fd, 16) == 0 else {
            if fd >= 0 { close(fd) }
            throw HTTP1Error.connection("cannot listen on 127.0.0.1: \(FileErrors.errno(errno))")
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    /// Accepts the next connection, waiting up to `limit` for it; whether one came.
    func accept(within limit: Duration) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            let fd = Foundation.accept(listener, nil, nil)
            if fd >= 0 {
                accepted.withLock { $0.append(fd) }
                return true
            }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return false
    }

    /// Whether the last connection accepted is closed by its client within `limit` (what it
    /// sent is read and dropped). Waits on this thread, for at most `limit`.
    func sawClose(within limit: Duration) -> Bool {
        guard let fd = accepted.withLock({ $0.last }) else { return false }
        let deadline = ContinuousClock.now + limit
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return false }
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&entry, 1, Int32(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1))
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { return false }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return true }  // the end of the stream, or a reset
        }
    }

    /// Closes the listener and every connection it accepted.
    func stop() {
        close(listener)
        accepted.withLock { for fd in $0 { close(fd) } }
    }
}
