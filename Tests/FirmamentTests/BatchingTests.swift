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

/// A runner that records each batch of connectivity actions it is given. An action in `gates`
/// does not finish before the action it names (or 20 s pass).
final class BatchRecorder: ActionRunning, @unchecked Sendable {
    let gates: [String: String]
    private let lock = NSLock()
    private(set) var batches: [[String]] = []
    private(set) var finished: [String] = []

    init(gates: [String: String] = [:]) { self.gates = gates }

    /// An action takes 1 ms and a batch 5 ms: simulated work, during which others become ready.
    func run(_ action: PlannedAction) async -> ActionOutcome {
        try? await Task.sleep(for: .milliseconds(1))
        if let gate = gates[action.id] {
            await eventually { self.lock.withLock { self.finished.contains(gate) } }
        }
        lock.withLock { finished.append(action.id) }
        return .succeeded("ok")
    }

    func runBatch(_ actions: [PlannedAction]) async -> [ActionOutcome] {
        lock.withLock { batches.append(actions.map(\.id)) }
        try? await Task.sleep(for: .milliseconds(5))
        lock.withLock { finished += actions.map(\.id) }
        return actions.map { _ in .succeeded("ok") }
    }
}

@Suite("Executor: connectivity batches")
struct BatchingTests {
    static func connect(_ app: String, _ network: String, after deps: [String], provider: String = "lab") -> PlannedAction {
        PlannedAction(.connect(app: app, VLANLink(network: network, vlan: 10, mode: .access)), dependsOn: deps, reason: "r", provider: provider)
    }

    static func plan(_ actions: [PlannedAction]) -> Plan {
        Plan(blueprintName: "lab", blueprintFile: "lab.json", blueprintDigest: "d", lineage: "L", serial: 0, actions: actions)
    }

    @Test("connect actions of one provider that are ready together go in one call")
    func oneCall() async {
        let connects = (0..<6).map { Self.connect("a\($0)", "n", after: []) }
        let runner = BatchRecorder()
        let summary = await Executor(parallelism: 10, runner: runner).run(Self.plan(connects), progress: { _ in })
        #expect(summary.done.count == 6)
        #expect(runner.batches.count == 1)
        #expect(runner.batches.first?.count == 6)
    }

    @Test("providers are never mixed in one batch")
    func perProvider() async {
        let actions = [Self.connect("a", "n", after: [], provider: "p1"), Self.connect("b", "n", after: [], provider: "p2"),
                       Self.connect("c", "n", after: [], provider: "p1")]
        let runner = BatchRecorder()
        _ = await Executor(parallelism: 10, runner: runner).run(Self.plan(actions), progress: { _ in })
        #expect(Set(runner.batches.map { Set($0) }) == [["connect:app.a:network.n", "connect:app.c:network.n"], ["connect:app.b:network.n"]])
    }

    @Test("a slow deploy elsewhere does not delay the connect of a fast app")
    func noWaitingForBatches() async {
        let slow = PlannedAction(.deploy(app: "slow", subnets: []), reason: "r", provider: "lab")
        let fast = PlannedAction(.deploy(app: "fast", subnets: []), reason: "r", provider: "lab")
        let actions = [slow, fast, Self.connect("slow", "n", after: [slow.id]), Self.connect("fast", "n", after: [fast.id])]
        let runner = BatchRecorder(gates: [slow.id: "connect:app.fast:network.n"])
        _ = await Executor(parallelism: 10, runner: runner).run(Self.plan(actions), progress: { _ in })
        let done = runner.finished
        #expect(done.firstIndex(of: "connect:app.fast:network.n")! < done.firstIndex(of: slow.id)!)
        #expect(runner.batches == [["connect:app.fast:network.n"], ["connect:app.slow:network.n"]])
    }
}

/// A provider whose ApplyConnectivityChanges answers badly.
struct MisbehavingProvider: StubProvider, L2Connectivity {
    enum Mode: Sendable { case dropFirst, unknownId, failure }
    let name = "bad"
    let mode: Mode

    func applyConnectivityChanges(_ changes: [VLANChange]) async throws -> [VLANResult] {
        switch mode {
        case .dropFirst: return changes.dropFirst().map { VLANResult(actionId: $0.actionId, success: true, updatedInterface: "mac") }
        case .unknownId: return changes.map { VLANResult(actionId: $0.actionId + "-x", success: true) }
        case .failure: return changes.map { VLANResult(actionId: $0.actionId, success: false, errorMessage: "port is shut") }
        }
    }
}

@Suite("Action runner: connectivity results")
struct ConnectivityResultTests {
    func runner(_ mode: MisbehavingProvider.Mode) async throws -> (ActionRunner, TempDirectory) {
        let dir = TempDirectory()
        let paths = StatePaths(snapshot: dir.file("s.json"))
        let recorder = try StateRecorder(try StateStore.load(paths, blueprint: "lab"), paths: paths)
        for name in ["a", "b"] {
            try await recorder.record(.putApp(name, AppState(provider: "bad", deploymentPath: DeploymentPath(provider: "bad", deploymentType: "t"),
                                                             attributes: [:], vmName: "\(name)__1", vmUuid: "u-\(name)")))
        }
        return (ActionRunner(blueprint: Blueprint(name: "lab"), providers: ["bad": MisbehavingProvider(mode: mode)], recorder: recorder,
                             environment: Environment { _ in nil }), dir)
    }

    static let actions = ["a", "b"].map { BatchingTests.connect($0, "n", after: [], provider: "bad") }

    @Test("a provider without the L2 role fails a connect terminally, saying so, and is not retried")
    func missingRole() async throws {
        let dir = TempDirectory()
        let paths = StatePaths(snapshot: dir.file("s.json"))
        let recorder = try StateRecorder(try StateStore.load(paths, blueprint: "lab"), paths: paths)
        try await recorder.record(.putApp("a", AppState(provider: "bad", deploymentPath: DeploymentPath(provider: "bad", deploymentType: "t"),
                                                        attributes: [:], vmName: "a__1", vmUuid: "u-a")))
        let runner = ActionRunner(blueprint: Blueprint(name: "lab"), providers: ["bad": ListedProvider(name: "bad", vms: [:])], recorder: recorder)
        let outcome = await runner.run(Self.actions[0])
        guard case .failed(let failure) = outcome else { Issue.record("\(outcome)"); return }
        #expect(failure.description.contains("this provider has no L2 connectivity"))
        #expect(failure.kind == .terminal)
        _ = dir
    }

    @Test("a missing result fails that action, and only that one")
    func missingResult() async throws {
        let (runner, dir) = try await runner(.dropFirst)
        let outcomes = await runner.runBatch(Self.actions)
        guard case .failed(let failure) = outcomes[0] else { Issue.record("\(outcomes)"); return }
        #expect(failure.description.contains("returned no result for this action"))
        guard case .succeeded = outcomes[1] else { Issue.record("\(outcomes)"); return }
        #expect(runner.recorder.state.apps["b"]?.connections["n"]?.interface == "mac")
        #expect(runner.recorder.state.apps["a"]?.connections["n"] == nil)
        _ = dir
    }

    @Test("results for unknown actionIds fail the actions and say what came back")
    func unknownIds() async throws {
        let (runner, dir) = try await runner(.unknownId)
        let outcomes = await runner.runBatch(Self.actions)
        for outcome in outcomes {
            guard case .failed(let failure) = outcome else { Issue.record("\(outcome)"); continue }
            #expect(failure.description.contains("unknown actionIds"))
        }
        _ = dir
    }

    @Test("success false carries the driver's error message")
    func failure() async throws {
        let (runner, dir) = try await runner(.failure)
        let outcomes = await runner.runBatch(Self.actions)
        guard case .failed(.provider(let error)) = outcomes[0] else { Issue.record("\(outcomes)"); return }
        #expect(error.description.contains("setVlan failed: port is shut"))
        #expect(error.provider == "bad" && error.operation == "setVlan", "the provider's failure is kept whole: \(error)")
        _ = dir
    }
}

@Suite("Simulated cloud: L3")
struct SimulatedL3Tests {
    @Test("a deploy before PrepareSandboxInfra, or onto an unprepared subnet, is refused")
    func refusesUnprepared() async throws {
        let dir = TempDirectory()
        let cloud = try SimulatedCloud(name: "sky", settings: SimulatedSettings(), connectivity: .l3, baseDirectory: dir.path)
        let request = DeployRequest(actionId: "1", appName: "a", vmName: "a__1", sandbox: "lab", deploymentType: "t",
                                    deploymentAttributes: [:], appAttributes: [:])
        await #expect(throws: ProviderError.self) { try await cloud.deploy(request) }
        let infra = try await cloud.prepareSandboxInfra(InfraRequest(sandbox: "lab", cloudCIDR: "10.0.0.0/16",
                                                                     subnets: [SubnetSpec(name: "dmz", cidr: "10.0.1.0/24", isPublic: true)], createKeys: true))
        var onto = request
        onto.subnets = [SubnetConnection(actionId: "2", network: "other", subnetId: "subnet-nope", cidr: "10.0.9.0/24", isPublic: false)]
        await #expect(throws: ProviderError.self) { try await cloud.deploy(onto) }
        onto.subnets = [SubnetConnection(actionId: "2", network: "dmz", subnetId: infra.subnetIds["dmz"]!, cidr: "10.0.1.0/24", isPublic: true)]
        let result = try await cloud.deploy(onto)
        #expect(CIDR("10.0.1.0/24")!.contains(IPv4Address(result.deployedAppAddress)!))
        #expect(result.subnetInterfaces[infra.subnetIds["dmz"]!] == "eth0")
        let again = try await cloud.prepareSandboxInfra(InfraRequest(sandbox: "lab", cloudCIDR: nil,
                                                                     subnets: [SubnetSpec(name: "dmz", cidr: "10.0.1.0/24", isPublic: true)], createKeys: true))
        #expect(again.subnetIds == infra.subnetIds, "PrepareSandboxInfra is get-or-create")
        #expect(again.keys == infra.keys)
        await #expect(throws: ProviderError.self) {
            try await cloud.cleanSandboxInfra(InfraCleanup(sandbox: "lab", all: true, subnetIds: []))
        }
    }
}
