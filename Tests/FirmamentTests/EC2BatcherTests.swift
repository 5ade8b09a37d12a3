import Foundation
import Synchronization
import Testing
@testable import FirmModel
@testable import FirmEC2
import FirmTestSupport

/// A fake EC2 that records each call and answers as `answer` says (nil: success).
final class FakeInstanceCalls: Sendable {
    struct Call: Sendable, Equatable {
        var action: String
        var ids: [String]
    }
    private let log = Mutex<[Call]>([])
    let delay: Duration
    let answer: @Sendable (String, [String]) -> ProviderError?

    init(delay: Duration = .zero, answer: @escaping @Sendable (String, [String]) -> ProviderError? = { _, _ in nil }) {
        self.delay = delay
        self.answer = answer
    }

    var calls: [Call] { log.withLock { $0 } }

    func batcher(window: Duration = .milliseconds(300), limit: Int = 1000) -> EC2Batcher {
        EC2Batcher(provider: "aws", window: window, limit: limit) { action, ids, operation in
            self.log.withLock { $0.append(Call(action: action, ids: ids)) }
            if self.delay > .zero { try await Task.sleep(for: self.delay) }
            if let error = self.answer(action, ids) { throw error }
        }
    }
}

/// The ids of each call a test's own sender was given.
final class SentIDs: Sendable {
    let log = Mutex<[[String]]>([])
}

/// What each of `ids` got from `kind` submitted concurrently: nil for success.
func submitAll(_ batcher: EC2Batcher, _ kind: EC2Batcher.Kind, _ ids: [String], operation: String = "delete") async -> [String: (any Error)?] {
    await withTaskGroup(of: (String, (any Error)?).self) { group in
        for id in ids {
            group.addTask {
                do {
                    try await batcher.submit(kind, id: id, operation: operation)
                    return (id, nil)
                } catch {
                    return (id, error)
                }
            }
        }
        var results: [String: (any Error)?] = [:]
        for await (id, error) in group { results[id] = error }
        return results
    }
}

@Suite("EC2Batcher: TerminateInstances, StartInstances and StopInstances batched, each caller its own result")
struct EC2BatcherTests {
    static func ids(_ n: Int, from: Int = 0) -> [String] { (from..<(from + n)).map { String(format: "i-%017x", $0) } }

    @Test("requests within the window become one call with every id")
    func oneCall() async throws {
        let fake = FakeInstanceCalls()
        let ids = Self.ids(40)
        let results = await submitAll(fake.batcher(), .terminate, ids)
        #expect(results.count == 40 && results.values.allSatisfy { $0 == nil })
        #expect(fake.calls.count == 1, "\(fake.calls.map(\.ids.count))")
        #expect(fake.calls.first?.action == "TerminateInstances")
        #expect(Set(fake.calls.first?.ids ?? []) == Set(ids))
    }

    @Test("more than 1,000 ids become several calls of at most 1,000, each id in exactly one")
    func thousands() async throws {
        let fake = FakeInstanceCalls()
        let ids = Self.ids(2_500)
        let results = await submitAll(fake.batcher(), .stop, ids, operation: "powerOff")
        #expect(results.count == 2_500 && results.values.allSatisfy { $0 == nil })
        #expect(fake.calls.count == 3, "\(fake.calls.map(\.ids.count))")
        #expect(fake.calls.allSatisfy { $0.ids.count <= 1000 && $0.action == "StopInstances" })
        let sent = fake.calls.flatMap(\.ids)
        #expect(sent.count == 2_500 && Set(sent) == Set(ids))
    }

    @Test("each kind is its own call; a request after a window closed starts another")
    func kinds() async throws {
        let fake = FakeInstanceCalls()
        let batcher = fake.batcher(window: .milliseconds(200))
        async let starts = submitAll(batcher, .start, Self.ids(5), operation: "powerOn")
        async let stops = submitAll(batcher, .stop, Self.ids(5, from: 100), operation: "powerOff")
        _ = await (starts, stops)
        #expect(fake.calls.count == 2)
        #expect(Set(fake.calls.map(\.action)) == ["StartInstances", "StopInstances"])
        _ = await submitAll(batcher, .start, Self.ids(1, from: 200), operation: "powerOn")
        #expect(fake.calls.count == 3 && fake.calls.last?.ids == Self.ids(1, from: 200))
    }

    static func refuse(_ code: String, naming bad: Set<String>) -> @Sendable (String, [String]) -> ProviderError? {
        { action, ids in
            let named = ids.filter { bad.contains($0) }
            guard !named.isEmpty else { return nil }
            // As moto: the first unknown id only, so several rounds are needed for several.
            return ProviderError(provider: "aws", operation: "delete", message: "\(action): The instance ID '\(named[0])' does not exist; request id 1",
                                 kind: .terminal, code: code)
        }
    }

    @Test("an unknown id fails only its own start; the rest are sent again without it and succeed")
    func isolation() async throws {
        let ids = Self.ids(10)
        let bad: Set<String> = [ids[3], ids[7]]
        let fake = FakeInstanceCalls(answer: Self.refuse("InvalidInstanceID.NotFound", naming: bad))
        let results = await submitAll(fake.batcher(), .start, ids, operation: "powerOn")
        for id in ids {
            let error = results[id] ?? nil
            if bad.contains(id) {
                let providerError = try #require(error as? ProviderError, "\(id) fails")
                #expect(providerError.code == "InvalidInstanceID.NotFound" && providerError.operation == "powerOn" && providerError.kind == .terminal)
            } else {
                #expect(error == nil, "\(id) succeeds: \(String(describing: error))")
            }
        }
        #expect(fake.calls.count == 3, "one call, then one round for each id named: \(fake.calls.map(\.ids.count))")
        #expect(fake.calls.last.map { Set($0.ids) } == Set(ids).subtracting(bad))
    }

    @Test("a malformed id the message does not name: each id is sent alone, and only that one fails")
    func unnamed() async throws {
        let ids = Self.ids(6)
        let fake = FakeInstanceCalls { _, sent in
            sent.contains(ids[2]) ? ProviderError(provider: "aws", operation: "delete", message: "Invalid id", code: "InvalidInstanceID.Malformed") : nil
        }
        let results = await submitAll(fake.batcher(), .terminate, ids)
        #expect((results[ids[2]] ?? nil as (any Error)?).flatMap { $0 as? ProviderError }?.code == "InvalidInstanceID.Malformed")
        #expect(ids.filter { $0 != ids[2] }.allSatisfy { (results[$0] ?? nil) == nil })
        #expect(fake.calls.count == 1 + 6)
    }

    @Test("throttling is every caller's, with its kind, its code and the caller's own operation")
    func shared() async throws {
        let fake = FakeInstanceCalls { _, _ in
            ProviderError(provider: "aws", operation: "delete", message: "Request limit exceeded.", kind: .retryable, code: "RequestLimitExceeded")
        }
        let batcher = fake.batcher()
        async let offs = submitAll(batcher, .stop, Self.ids(3), operation: "powerOff")
        async let deploys = submitAll(batcher, .stop, Self.ids(3, from: 10), operation: "deploy")
        let (a, b) = await (offs, deploys)
        #expect(fake.calls.count == 1 && fake.calls[0].ids.count == 6)
        for (results, operation) in [(a, "powerOff"), (b, "deploy")] {
            for error in results.values {
                let providerError = error as? ProviderError
                #expect(providerError?.kind == .retryable && providerError?.code == "RequestLimitExceeded" && providerError?.operation == operation)
            }
        }
    }

    @Test("cancelling one caller ends its wait, never the call the others wait on")
    func cancellation() async throws {
        // The call goes out once all five have asked (the limit, not a timer), and stays in
        // flight until the test lets it end, so the cancel always comes while it is sent,
        // however late the cooperative pool runs each step.
        let calls = SentIDs()
        let (ended, end) = AsyncStream<Void>.makeStream()
        let batcher = EC2Batcher(provider: "aws", window: .seconds(600), limit: 5) { _, ids, _ in
            calls.log.withLock { $0.append(ids) }
            for await _ in ended {}
        }
        let cancelled = Task { try await batcher.submit(.terminate, id: "i-cancelled", operation: "delete") }
        let others = Task { await submitAll(batcher, .terminate, Self.ids(4)) }
        #expect(await eventually(.seconds(60)) { !calls.log.withLock { $0.isEmpty } }, "the call was sent")
        // Should the cancelled caller wait for the call after all, the call ends in a minute.
        let bound = Task { try? await Task.sleep(for: .seconds(60)); end.finish() }
        cancelled.cancel()
        await #expect(throws: CancellationError.self) { try await cancelled.value }
        end.finish()
        bound.cancel()
        let results = await others.value
        #expect(results.count == 4 && results.values.allSatisfy { $0 == nil })
        #expect(calls.log.withLock { $0.count == 1 && $0[0].count == 5 })
    }

    @Test("the ids an error message names, as whole words")
    func named() {
        #expect(EC2Batcher.named(["i-1", "i-12", "i-2"], in: "The instance IDs 'i-12, i-2' do not exist") == ["i-12", "i-2"])
        #expect(EC2Batcher.named(["i-abc"], in: #"Invalid id: "i-abcd""#).isEmpty)
    }
}
