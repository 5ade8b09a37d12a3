import Foundation
import Synchronization
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

/// A runner whose actions hand in `.recorded` outcomes: each takes the next serial, and the test
/// decides when the "journal" makes them durable, through the mark it owns.
final class DeferredRunner: ActionRunning, @unchecked Sendable {
    let mark = DurabilityMark(durable: 0)
    private let lock = NSLock()
    private var serial = 0
    private(set) var started: [String] = []
    private(set) var finished: [String] = []
    /// Each action's serial, and how far the mark was durable when it started.
    private var serials: [String: Int] = [:]
    private var durableAtStart: [String: Int] = [:]
    var durability: DurabilityMark? { mark }

    func run(_ action: PlannedAction) async -> ActionOutcome {
        let durable = (try? mark.current().get()) ?? -1
        let serial = lock.withLock {
            started.append(action.id)
            finished.append(action.id)
            self.serial += 1
            serials[action.id] = self.serial
            durableAtStart[action.id] = durable
            return self.serial
        }
        return .recorded("ok", serial: serial)
    }

    var startedNow: [String] { lock.withLock { started } }
    var handedIn: Int { lock.withLock { serial } }
    func serial(of id: String) -> Int? { lock.withLock { serials[id] } }
    func durable(whenStarting id: String) -> Int? { lock.withLock { durableAtStart[id] } }
}

/// Values appended from several tasks.
final class ProbeList<Element: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [Element] = []
    func append(_ value: Element) { lock.withLock { list.append(value) } }
    var values: [Element] { lock.withLock { list } }
}

@Suite("Durability mark and deferred records")
struct DeferredDurabilityTests {
    struct MarkCase: Sendable, CustomStringConvertible {
        var description: String
        var advances: [Int]
        var target: Int
        var expectWoken: Bool
    }

    static let markCases: [MarkCase] = [
        MarkCase(description: "a serial already durable returns at once", advances: [], target: 0, expectWoken: true),
        MarkCase(description: "an advance past the target wakes it", advances: [3], target: 2, expectWoken: true),
        MarkCase(description: "an advance to exactly the target wakes it", advances: [1, 2], target: 2, expectWoken: true),
        MarkCase(description: "advances short of the target leave it waiting", advances: [1, 2], target: 3, expectWoken: false),
        MarkCase(description: "an advance backwards changes nothing", advances: [2, 1], target: 2, expectWoken: true),
    ]

    @Test("waiters wake exactly when their serial is durable", arguments: markCases)
    func markWakes(_ c: MarkCase) async throws {
        let mark = DurabilityMark(durable: 0)
        let woken = Mutex<Int?>(nil), entered = Mutex(false)
        let waiter = Task {
            entered.withLock { $0 = true }
            let d = try await mark.wait(for: c.target)
            woken.withLock { $0 = d }
        }
        // The advances come once the waiter waits (it has nothing to wait for in between).
        #expect(await eventually { entered.withLock { $0 } })
        for a in c.advances { mark.advance(to: a) }
        if c.expectWoken {
            try await waiter.value
            #expect(woken.withLock { $0 } == max(c.advances.max() ?? 0, 0))
        } else {
            // A waiter that an advance short of its target woke would have returned that
            // advance's serial, not the target's.
            mark.advance(to: c.target)
            try await waiter.value
            #expect(woken.withLock { $0 } == c.target)
        }
        #expect(try mark.isDurable(c.target))
    }

    @Test("a failed journal fails every waiter, now and later, and nothing becomes durable after it")
    func markFailure() async throws {
        let mark = DurabilityMark(durable: 5)
        let entered = Mutex(false)
        let early = Task {
            entered.withLock { $0 = true }
            return try await mark.wait(for: 7)
        }
        #expect(await eventually { entered.withLock { $0 } }, "the early waiter waits before the failure")
        mark.fail(StateError.io(location: "j", reason: "disk full"))
        await #expect(throws: StateError.self) { try await early.value }
        await #expect(throws: StateError.self) { try await mark.wait(for: 6) }
        mark.advance(to: 9)
        #expect(throws: StateError.self) { try mark.isDurable(5) }
    }

    @Test("many waiters on one mark each wake at their own serial")
    func manyWaiters() async throws {
        let mark = DurabilityMark(durable: 0)
        let order = ProbeList<Int>(), entered = ProbeList<Int>()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for target in (1...40).shuffled() {
                group.addTask {
                    entered.append(target)
                    _ = try await mark.wait(for: target)
                    order.append(target)
                }
            }
            #expect(await eventually { entered.values.count == 40 }, "every waiter waits before the first advance")
            for s in stride(from: 5, through: 40, by: 5) {
                mark.advance(to: s)
                #expect(await eventually { order.values.count == s }, "after advancing to \(s)")
                #expect(order.values.allSatisfy { $0 <= s })
            }
            try await group.waitForAll()
        }
    }

    @Test("a recorded action's dependents and its done wait for its record to be durable; its slot does not")
    func dependentsWaitForDurability() async throws {
        let runner = DeferredRunner()
        let actions = ExecutorTests.chain("web") + [PlannedAction(.powerOff(app: "other"), reason: "r", provider: "sim")]
        // Each done line, with how far the mark was durable when it came.
        let done = ProbeList<(id: String, durable: Int)>()
        let run = Task {
            await Executor(parallelism: 1, runner: runner).run(ExecutorTests.plan(actions)) { event in
                if case .succeeded = event.kind { done.append((event.action.id, (try? runner.mark.current().get()) ?? -1)) }
            }
        }
        // One slot: the deploy runs first (longest chain); with its record not yet durable, the
        // slot goes to the unrelated action, and the deploy's dependent waits.
        #expect(await eventually { runner.startedNow.count == 2 })
        #expect(runner.startedNow == ["deploy:app.web", "powerOff:app.other"])
        runner.mark.advance(to: 1)
        #expect(await eventually { runner.startedNow.contains("powerOn:app.web") })
        runner.mark.advance(to: 10)
        let summary = await run.value
        #expect(Set(summary.done) == Set(actions.map(\.id)))
        #expect(summary.done.first == "deploy:app.web")
        // Nothing was done before its record was durable, and nothing started before the
        // record of what it depends on was: the mark moves only when this test moves it.
        for (id, durable) in done.values {
            #expect(durable >= runner.serial(of: id) ?? .max, "\(id) was done with only serial \(durable) durable")
        }
        for action in actions {
            for dependency in action.dependsOn {
                #expect(runner.durable(whenStarting: action.id) ?? -1 >= runner.serial(of: dependency) ?? .max,
                        "\(action.id) started before the record of \(dependency) was durable")
            }
        }
    }

    @Test("a journal that fails after an action handed in its record fails that action and skips its dependents")
    func journalFailureAfterRecord() async throws {
        let runner = DeferredRunner()
        let run = Task { await Executor(parallelism: 2, runner: runner).run(ExecutorTests.plan(ExecutorTests.chain("web"))) { _ in } }
        #expect(await eventually { runner.handedIn == 1 })
        runner.mark.fail(StateError.io(location: "lab.state.json.journal", reason: "disk full"))
        let summary = await run.value
        #expect(summary.fatal)
        #expect(summary.done.isEmpty)
        #expect(summary.failed.map(\.id) == ["deploy:app.web"])
        #expect(summary.failed.first?.message.contains("cannot record the result") == true, "\(summary.failed)")
        #expect(Set(summary.skipped) == ["powerOn:app.web", "refreshIP:app.web"])
    }

    @Test("each round's end lines are followed by roundEnd before anything new starts, and a stop set there starts nothing more")
    func roundEndBeforeStarts() async throws {
        let log = ProbeList<String>()
        let actions = (0..<6).flatMap { ExecutorTests.chain("a\($0)") }
        let summary = await Executor(parallelism: 3, runner: FakeRunner()).run(ExecutorTests.plan(actions), progress: { event in
            if case .started = event.kind { log.append("start") } else { log.append("end") }
        }, roundEnd: { log.append("round") })
        #expect(summary.done.count == 18)
        let entries = log.values
        for (i, entry) in entries.enumerated() where entry == "end" {
            let next = entries[(i + 1)...].first { $0 != "end" }
            #expect(next == "round", "an end line at \(i) is followed by \(next ?? "nothing") before a round's end: \(entries)")
        }

        let stop = StopFlag()
        let stopped = await Executor(parallelism: 1, runner: FakeRunner(), stop: stop).run(ExecutorTests.plan(actions), progress: { _ in },
                                                                                             roundEnd: { stop.set() })
        #expect(stopped.done.count == 1 && stopped.notStarted.count == 17, "\(stopped.done), \(stopped.notStarted.count) not started")
    }
}

