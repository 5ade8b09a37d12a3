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

/// A workload with uneven latencies: most deploys are fast, a few on another provider take ten
/// times longer, and every deploy is followed by a chain (power on, then the address). The slow
/// ones come last in plan order, as they might in any blueprint. The same apply runs under
/// critical-path priority and under a FIFO order (plan order; a switch for this bench only),
/// in this process, on the simulated cloud with the state journalled.
enum SchedulingBench {
    struct Result {
        var critical: Double
        var fifo: Double
        var lowerBound: Double
        var description: String
    }

    static let fast = (apps: 80, deploy: 0.2)
    static let slow = (apps: 10, deploy: 2.0)
    static let parallelism = 20

    static func blueprint() -> String {
        var apps: [String] = []
        for i in 0..<fast.apps { apps.append(#""a\#(i)": {"deploymentPath": {"provider": "quick", "deploymentType": "small"}}"#) }
        for i in 0..<slow.apps { apps.append(#""z\#(i)": {"deploymentPath": {"provider": "heavy", "deploymentType": "large"}}"#) }
        func provider(_ deploy: Double, _ cidr: String) -> String {
            #"{"type": "simulated", "settings": {"cidr": "\#(cidr)", "latency": {"deploy": "\#(Int(deploy * 1000))ms", "powerOn": "20ms", "refreshIP": "10ms"}}}"#
        }
        return #"{"version": 1, "name": "sched", "providers": {"quick": \#(provider(fast.deploy, "10.1.0.0/16")), "heavy": \#(provider(slow.deploy, "10.2.0.0/16"))}, "apps": {\#(apps.joined(separator: ", "))}}"#
    }

    static func run() async throws -> Result {
        var critical: [Double] = [], fifo: [Double] = []
        for _ in 0..<3 {
            critical.append(try await apply(.criticalPath))
            fifo.append(try await apply(.fifo))
        }
        // max(longest chain, total work / parallelism)
        let chain = slow.deploy + 0.03
        let total = Double(fast.apps) * (fast.deploy + 0.03) + Double(slow.apps) * (slow.deploy + 0.03)
        let bound = max(chain, total / Double(parallelism))
        let result = Result(critical: critical.sorted()[1], fifo: fifo.sorted()[1], lowerBound: bound,
                            description: "\(fast.apps) deploys of \(Int(fast.deploy * 1000)) ms and \(slow.apps) of \(Int(slow.deploy * 1000)) ms (last in plan order), each then powered on and its address read, parallelism \(parallelism); median of three")
        print(String(format: "scheduling: critical path %.2f s, FIFO %.2f s (ratio %.2f), lower bound %.2f s", result.critical, result.fifo, result.critical / result.fifo, bound))
        return result
    }

    static func apply(_ order: ExecutionOrder) async throws -> Double {
        let directory = try FirmBench.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let blueprint = try BlueprintDecoder.decode(Array(blueprint().utf8), file: "sched.json", types: BuiltIn.providerTypes)
        let session = try Session(blueprint: blueprint, blueprintFile: directory + "/sched.json", statePath: directory + "/state.json", components: BuiltIn.components())
        let writable = try await session.open(operation: "bench", lockTimeout: nil, refresh: false)
        defer { writable.lock.release() }
        let plan = Planner.plan(blueprint: blueprint, blueprintFile: "sched.json", state: writable.recorder.state)
        let start = ContinuousClock.now
        let summary = try await session.execute(plan, on: writable, parallelism: parallelism, stop: StopFlag(), order: order, progress: { _ in })
        guard summary.failed.isEmpty else { throw BenchError("the scheduling workload failed: \(summary.failed)") }
        return (ContinuousClock.now - start).seconds
    }
}
