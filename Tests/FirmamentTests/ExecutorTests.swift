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

/// A runner that sleeps per action, fails chosen actions and records what ran when. An action
/// in `gates` does not finish before the action it names has finished (or 20 s have passed),
/// so ordering tests do not depend on timing.
final class FakeRunner: ActionRunning, @unchecked Sendable {
    let delays: [String: Duration]
    let failing: Set<String>
    let gates: [String: String]
    private let lock = NSLock()
    private(set) var started: [String] = []
    private(set) var finished: [String] = []
    private(set) var maxConcurrent = 0
    private var running = 0

    init(delays: [String: Duration] = [:], failing: Set<String> = [], gates: [String: String] = [:]) {
        self.delays = delays
        self.failing = failing
        self.gates = gates
    }

    func hasFinished(_ id: String) -> Bool { lock.withLock { finished.contains(id) } }

    func run(_ action: PlannedAction) async -> ActionOutcome {
        lock.withLock {
            started.append(action.id)
            running += 1
            maxConcurrent = max(maxConcurrent, running)
        }
        try? await Task.sleep(for: delays[action.id] ?? .milliseconds(1))
        if let gate = gates[action.id] {
            await eventually { self.hasFinished(gate) }
        }
        lock.withLock {
            running -= 1
            finished.append(action.id)
        }
        return failing.contains(action.id) ? .failed(.unexpected("boom")) : .succeeded("ok")
    }
}

@Suite("Executor")
struct ExecutorTests {
    static func chain(_ app: String) -> [PlannedAction] {
        let deploy = PlannedAction(.deploy(app: app, subnets: []), reason: "r", provider: "sim")
        let on = PlannedAction(.powerOn(app: app), dependsOn: [deploy.id], reason: "r", provider: "sim")
        let ip = PlannedAction(.refreshIP(app: app), dependsOn: [on.id], reason: "r", provider: "sim")
        return [deploy, on, ip]
    }

    static func plan(_ actions: [PlannedAction]) -> Plan {
        Plan(blueprintName: "lab", blueprintFile: "lab.json", blueprintDigest: "d", lineage: "L", serial: 0, actions: actions)
    }

    @Test("a failure skips its dependents and not its siblings")
    func failureSkipsDependents() async {
        let runner = FakeRunner(failing: ["deploy:app.db"])
        let summary = await Executor(parallelism: 4, runner: runner).run(Self.plan(Self.chain("web") + Self.chain("db")), progress: { _ in })
        #expect(Set(summary.done) == ["deploy:app.web", "powerOn:app.web", "refreshIP:app.web"])
        #expect(summary.failed.map(\.id) == ["deploy:app.db"])
        #expect(Set(summary.skipped) == ["powerOn:app.db", "refreshIP:app.db"])
        #expect(!runner.started.contains("powerOn:app.db"))
        #expect(!summary.succeeded)
    }

    @Test("never runs more than the parallelism limit at once")
    func parallelismLimit() async {
        let runner = FakeRunner()
        let actions = (0..<30).flatMap { Self.chain("a\($0)") }
        let summary = await Executor(parallelism: 5, runner: runner).run(Self.plan(actions), progress: { _ in })
        #expect(summary.done.count == 90)
        #expect(runner.maxConcurrent <= 5)
        #expect(runner.maxConcurrent >= 2)
    }

    @Test("a fast app's next step does not wait for a slow app's deploy")
    func noBarrier() async {
        let runner = FakeRunner(gates: ["deploy:app.slow": "refreshIP:app.fast"])
        _ = await Executor(parallelism: 4, runner: runner).run(Self.plan(Self.chain("slow") + Self.chain("fast")), progress: { _ in })
        let done = runner.finished
        #expect(done.firstIndex(of: "refreshIP:app.fast")! < done.firstIndex(of: "deploy:app.slow")!)
    }

    @Test("with one slot, the longest remaining chain starts first")
    func criticalPathFirst() async {
        let lone = PlannedAction(.powerOff(app: "a"), reason: "r", provider: "sim")
        let runner = FakeRunner()
        _ = await Executor(parallelism: 1, runner: runner).run(Self.plan([lone] + Self.chain("z")), progress: { _ in })
        #expect(runner.started.first == "deploy:app.z")
        #expect(runner.started.firstIndex(of: "powerOn:app.z")! < runner.started.firstIndex(of: "powerOff:app.a")!)
    }

    @Test("declared latencies steer the critical path: a deploy on a slow provider starts before fast ones; fifo keeps plan order")
    func declaredLatencies() async {
        let fast = (0..<3).map { PlannedAction(.deploy(app: "a\($0)", subnets: []), reason: "r", provider: "fast") }
        let slow = PlannedAction(.deploy(app: "z", subnets: []), reason: "r", provider: "slow")
        let costs = ActionCosts(expected: ["fast": [.deploy: 100_000], "slow": [.deploy: 1_000_000]])
        let critical = FakeRunner()
        _ = await Executor(parallelism: 1, runner: critical, costs: costs).run(Self.plan(fast + [slow]), progress: { _ in })
        #expect(critical.started == ["deploy:app.z", "deploy:app.a0", "deploy:app.a1", "deploy:app.a2"])
        let fifo = FakeRunner()
        _ = await Executor(parallelism: 1, runner: fifo, costs: costs, order: .fifo).run(Self.plan(fast + [slow]), progress: { _ in })
        #expect(fifo.started == ["deploy:app.a0", "deploy:app.a1", "deploy:app.a2", "deploy:app.z"])
        // Without declared latencies, every deploy weighs the same: plan order.
        let plain = FakeRunner()
        _ = await Executor(parallelism: 1, runner: plain).run(Self.plan(fast + [slow]), progress: { _ in })
        #expect(plain.started.first == "deploy:app.a0")
    }

    @Test("costs come from a simulated provider's latency means; other providers weigh by action type")
    func costsFromBlueprint() throws {
        let text = #"{"version": 1, "name": "b", "providers": {"sim": {"type": "simulated", "settings": {"latency": {"deploy": "1s..3s", "powerOn": "10ms"}}}}, "apps": {}}"#
        let costs = ActionCosts(try BlueprintDecoder.decode(Array(text.utf8), file: "b.json", types: BuiltIn.providerTypes))
        #expect(costs.cost(PlannedAction(.deploy(app: "a", subnets: []), reason: "r", provider: "sim")) == 2_000_000)
        #expect(costs.cost(PlannedAction(.powerOn(app: "a"), reason: "r", provider: "sim")) == 10_000)
        #expect(costs.cost(PlannedAction(.refreshIP(app: "a"), reason: "r", provider: "sim")) == 10_000, "no latency declared: the type's weight")
        #expect(costs.cost(PlannedAction(.deploy(app: "a", subnets: []), reason: "r", provider: "other")) == 50_000)
    }

    @Test("a stop flag starts nothing new and reports what was not started")
    func stopFlag() async {
        let stop = StopFlag()
        let runner = FakeRunner()
        let actions = (0..<5).flatMap { Self.chain("a\($0)") }
        let summary = await Executor(parallelism: 1, runner: runner, stop: stop).run(Self.plan(actions)) { event in
            if case .started = event.kind { stop.set() }
        }
        #expect(summary.done.count == 1)
        #expect(summary.notStarted.count == 14)
        #expect(!summary.succeeded)
    }

    @Test("every event carries the elapsed time, in order")
    func progressEvents() async {
        let events = EventLog()
        _ = await Executor(parallelism: 2, runner: FakeRunner()).run(Self.plan(Self.chain("web"))) { events.add($0) }
        #expect(events.count == 6)
        #expect(events.elapsedIsMonotonic)
    }
}

final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [ExecutionEvent] = []
    func add(_ e: ExecutionEvent) { lock.withLock { events.append(e) } }
    var count: Int { lock.withLock { events.count } }
    /// Each event's kind, by name ("started", "succeeded", …).
    var kinds: [String] {
        lock.withLock { events.map { "\($0.kind)".prefix { $0.isLetter }.description } }
    }
    var elapsedIsMonotonic: Bool {
        lock.withLock { zip(events, events.dropFirst()).allSatisfy { $0.elapsed <= $1.elapsed } }
    }
}
