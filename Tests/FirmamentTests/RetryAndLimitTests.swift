import Foundation
import Testing
@testable import FirmBase
@testable import FirmModel
@testable import FirmPlanning
@testable import FirmExecution
@testable import FirmSimulated
@testable import FirmProcess
@testable import FirmEC2
@testable import FirmLocalState
@testable import FirmEtcdState
@testable import FirmSession
@testable import FirmDrift
@testable import Firmament
import FirmTestSupport

/// A provider whose observe calls wait at a gate, counting how many are in flight at once.
final class GatedProvider: StubProvider, @unchecked Sendable {
    let name = "gated"
    private let lock = NSLock()
    private(set) var inFlight = 0
    private(set) var most = 0
    private(set) var calls = 0
    private var open = false

    func release() { lock.withLock { open = true } }

    func observe(_ apps: [DeployedApp]) async throws -> [Observation] {
        lock.withLock {
            inFlight += 1
            calls += 1
            most = max(most, inFlight)
        }
        await eventually(.seconds(600)) { self.lock.withLock { self.open } }
        lock.withLock { inFlight -= 1 }
        return []
    }

}

@Suite("Retries and provider limits")
struct RetryAndLimitTests {
    @Test("a provider's concurrency limit is never exceeded, and is reached")
    func concurrencyLimit() async throws {
        let inner = GatedProvider()
        let limited = LimitedProvider(inner, limits: ProviderLimits(concurrency: 3))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<12 { group.addTask { _ = try await limited.observe([]) } }
            // Wait until the gate holds as many calls as it will let in, then let them all go.
            #expect(await eventually { inner.inFlight >= 3 })
            // A pause that is part of the test: a limiter that let a fourth call in would do so
            // now. (No event says that nothing more will come.)
            try await Task.sleep(for: .milliseconds(20))
            #expect(inner.inFlight == 3, "three calls are in, the other nine wait")
            inner.release()
            try await group.waitForAll()
        }
        #expect(inner.most == 3)
        #expect(inner.calls == 12)
    }

    @Test("a token bucket gives its burst at once, then one token per 1/rate seconds")
    func tokenBucket() {
        var bucket = TokenBucket(rate: 2, burst: 2, now: 0)
        #expect(bucket.take(now: 0) == 0)
        #expect(bucket.take(now: 0) == 0)
        #expect(bucket.take(now: 0) == 0.5, "empty: wait half a second")
        #expect(bucket.take(now: 0.25) == 0.25)
        #expect(bucket.take(now: 0.5) == 0, "one token came back")
        #expect(bucket.take(now: 10) == 0)
        #expect(bucket.take(now: 10) == 0, "never more than the burst")
        #expect(bucket.take(now: 10) > 0)
    }

    static func failing(_ kind: FailureKind, times: Int) -> (@Sendable (Int) async throws -> String) {
        { attempt in
            if attempt <= times { throw ProviderError(provider: "p", operation: "deploy", message: "try \(attempt)", kind: kind, code: "X") }
            return "ok after \(attempt)"
        }
    }

    @Test("retryable failures are tried again up to the limit, with a growing ceiling; terminal ones never")
    func retries() async throws {
        let policy = RetryPolicy(tries: 4, base: .milliseconds(1), cap: .milliseconds(4))
        var heard: [Int] = []
        var withinCeiling = true
        let result = try await policy.run(Self.failing(.retryable, times: 3), onRetry: { attempt, delay, _ in
            heard.append(attempt)
            if delay > policy.ceiling(after: attempt) { withinCeiling = false }
        })
        #expect(result == "ok after 4")
        #expect(heard == [1, 2, 3])
        #expect(withinCeiling)
        await #expect(throws: ProviderError.self) { try await policy.run(Self.failing(.retryable, times: 4)) }
        var terminalTries = 0
        await #expect(throws: ProviderError.self) {
            try await policy.run({ attempt in terminalTries = attempt; return try await Self.failing(.terminal, times: 9)(attempt) })
        }
        #expect(terminalTries == 1, "a terminal failure is not retried")
        #expect(policy.ceiling(after: 1) == .milliseconds(1))
        #expect(policy.ceiling(after: 2) == .milliseconds(2))
        #expect(policy.ceiling(after: 9) == .milliseconds(4), "capped")
    }
}
