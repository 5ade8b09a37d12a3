import Foundation
import Firmament
import FirmBase
import FirmModel
import FirmPlanning
import FirmExecution
import FirmSession
import FirmSimulated
import FirmEC2
import FirmLocalState
import FirmEtcdState

/// The three measurements of docs/performance.md.
enum Benchmarks {
    struct PlanResult {
        var apps: Int
        var seconds: Double
        var peakMB: Double
        var actions: Int
    }

    /// Reads a blueprint file and a state file, diffs them and renders the plan as JSON, in this
    /// process, the way `firm plan --refresh=false --json` does.
    static func plan(apps: Int, directory: String) throws -> PlanResult {
        let blueprintPath = directory + "/bench-\(apps).json"
        try Workloads.blueprint(apps: apps).write(toFile: blueprintPath, atomically: true, encoding: .utf8)
        let paths = StatePaths(snapshot: directory + "/bench-\(apps).state.json")
        try StateStore.writeSnapshot(Workloads.state(apps: apps), paths)

        let clock = ContinuousClock()
        let start = clock.now
        let blueprint = try BlueprintDecoder.load(path: blueprintPath, types: BuiltIn.providerTypes)
        let state = try StateStore.load(paths, blueprint: blueprint.name).state
        let plan = Planner.plan(blueprint: blueprint, blueprintFile: blueprintPath, state: state)
        let bytes = JSONWriter(pretty: true).bytes(plan.json)
        let elapsed = clock.now - start
        precondition(!bytes.isEmpty)
        return PlanResult(apps: apps, seconds: elapsed.seconds, peakMB: Machine.peakMemoryMB(), actions: plan.actions.count)
    }

    struct ApplyResult {
        var apps: Int
        var parallelism: Int
        var seconds: Double
        var actions: Int
        var lowerBound: Double
        var failed: Int
    }

    /// Applies `apps` new apps on the simulated cloud, with state persistence, in this process.
    static func apply(apps: Int, parallelism: Int, latency: String, directory: String) async throws -> ApplyResult {
        let text = Workloads.blueprint(apps: apps, latency: latency)
        let blueprint = try BlueprintDecoder.decode(Array(text.utf8), file: "bench.json", types: BuiltIn.providerTypes)
        let session = try Session(blueprint: blueprint, blueprintFile: directory + "/bench.json", statePath: directory + "/state.json", components: BuiltIn.components())
        let writable = try await session.open(operation: "bench", lockTimeout: nil, refresh: false)
        defer { writable.lock.release() }
        let plan = Planner.plan(blueprint: blueprint, blueprintFile: "bench.json", state: writable.recorder.state)
        let clock = ContinuousClock()
        let start = clock.now
        let summary = try await session.execute(plan, on: writable, parallelism: parallelism, stop: StopFlag(),
                                                environment: Environment { _ in "bench-secret" }, progress: { _ in })
        let seconds = (clock.now - start).seconds
        return ApplyResult(apps: apps, parallelism: parallelism, seconds: seconds, actions: plan.actions.count,
                           lowerBound: lowerBound(plan, blueprint, parallelism), failed: summary.failed.count)
    }

    /// What rewriting the whole state after every action would cost at `apps` apps: the time of
    /// one atomic snapshot write (median of five), for comparison with the journal's cost.
    static func rewriteCost(apps: Int, directory: String) throws -> Double {
        let state = Workloads.state(apps: apps)
        let paths = StatePaths(snapshot: directory + "/rewrite.state.json")
        let clock = ContinuousClock()
        var times: [Double] = []
        for _ in 0..<5 {
            let start = clock.now
            try StateStore.writeSnapshot(state, paths)
            times.append((clock.now - start).seconds)
        }
        return times.sorted()[2]
    }

    /// max(longest chain, total work / parallelism), from the mean of each latency setting.
    static func lowerBound(_ plan: Plan, _ blueprint: Blueprint, _ parallelism: Int) -> Double {
        let settings = SimulatedSettings(blueprint.providers["sim"]!.settings)
        func mean(_ op: ProviderOperation) -> Double {
            guard let l = settings.latency[op] else { return 0 }
            return (l.low.seconds + l.high.seconds) / 2
        }
        let cost: [ActionType: Double] = [.deploy: mean(.deploy), .powerOn: mean(.powerOn), .refreshIP: mean(.refreshIP)]
        let total = plan.actions.reduce(0) { $0 + (cost[$1.type] ?? 0) }
        let high = { (op: ProviderOperation) in settings.latency[op]?.high.seconds ?? 0 }
        let chain = high(.deploy) + high(.powerOn) + high(.refreshIP)
        return max(chain, total / Double(parallelism))
    }
}
