import Foundation
import Testing
@testable import FirmBase
@testable import FirmModel
@testable import FirmPlanning
@testable import FirmExecution
import FirmTestSupport

@Suite("A shared gate: executors that share --parallelism never run more than it")
struct SharedSlotsTests {
    @Test("three executors of parallelism 8 sharing 4 slots run at most 4 actions at once between them, and all of their work")
    func shared() async {
        let slots = ProviderGate(limits: ProviderLimits(concurrency: 4))
        let runners = (0..<3).map { _ in FakeRunner(delays: [:]) }
        let count = Locked(0), peak = Locked(0)
        // Each runner's actions count into one shared gauge as they run.
        let gauged = runners.map { GaugedRunner(inner: $0, count: count, peak: peak) }
        let perExecutor = (0..<6).flatMap { ExecutorTests.chain("a\($0)") }.count
        await withTaskGroup(of: ExecutionSummary.self) { group in
            for (r, runner) in gauged.enumerated() {
                let actions = (0..<6).flatMap { ExecutorTests.chain("s\(r)a\($0)") }
                group.addTask { await Executor(parallelism: 8, runner: runner, shared: slots).run(ExecutorTests.plan(actions), progress: { _ in }) }
            }
            for await summary in group { #expect(summary.failed.isEmpty && summary.done.count == perExecutor, "\(summary.done.count) of \(perExecutor)") }
        }
        #expect(peak.value <= 4, "at most the shared slots at once: \(peak.value)")
        #expect(peak.value >= 2, "the executors did share the slots: \(peak.value)")
    }

    @Test("a waiter cancelled while waiting leaves the queue and takes no slot")
    func cancelled() async throws {
        let slots = ProviderGate(limits: ProviderLimits(concurrency: 1))
        try await slots.enter()
        let waiter = Task { try await slots.enter() }
        try await Task.sleep(for: .milliseconds(20))
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        slots.leave()
        // The slot went back, not to the cancelled waiter: it can be taken at once.
        try await slots.enter()
        slots.leave()
    }
}

/// Counts the actions running across several runners.
struct GaugedRunner: ActionRunning {
    let inner: FakeRunner
    let count: Locked<Int>
    let peak: Locked<Int>

    func run(_ action: PlannedAction) async -> ActionOutcome {
        let now = count.withLock { value in
            value += 1
            return value
        }
        peak.withLock { $0 = max($0, now) }
        try? await Task.sleep(for: .milliseconds(3))
        let outcome = await inner.run(action)
        count.withLock { $0 -= 1 }
        return outcome
    }
}
