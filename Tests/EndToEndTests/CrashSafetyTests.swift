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

enum Torture {
    /// A blueprint of `count` apps over an L2 provider (VLANs, one auto) and an L3 provider
    /// (two subnets); `variant` 1 changes some deployment types, power states and connectors.
    static func blueprint(count: Int, variant: Int, latency: String, name: String = "torture") -> String {
        var apps: [String] = []
        var connectors: [String] = []
        for i in 0..<count {
            let type = (variant == 1 && i % 4 == 0) ? "large" : "small"
            let power = (variant == 1 && i % 5 == 1) ? "off" : "on"
            let provider = i % 3 == 2 ? "sky" : "sim"
            apps.append(#""a\#(i)": {"deploymentPath": {"provider": "\#(provider)", "deploymentType": "\#(type)"}, "power": "\#(power)", "waitForIP": \#(i % 2 == 0)}"#)
            if provider == "sim" {
                connectors.append(#"{"from": "a\#(i)", "to": "\#((i + variant) % 2 == 0 ? "front" : "back")"}"#)
            } else if i % 4 != 3 {
                connectors.append(#"{"from": "a\#(i)", "to": "\#((i / 3 + variant) % 2 == 0 ? "dmz" : "inner")"}"#)
            }
        }
        return """
            {"version": 1, "name": "\(name)",
             "providers": {"sim": {"type": "simulated", "settings": {"cidr": "10.50.0.0/22", "latency": \(latency)}},
                           "sky": {"type": "simulated", "connectivity": "L3", "settings": {"cidr": "10.60.0.0/16", "latency": \(latency)}}},
             "networks": {"front": {"provider": "sim", "vlan": 300}, "back": {"provider": "sim", "vlan": "auto"},
                          "dmz": {"provider": "sky", "subnet": "10.60.1.0/24", "public": true}, "inner": {"provider": "sky", "subnet": "10.60.2.0/24"}},
             "apps": {\(apps.joined(separator: ",\n"))},
             "connectors": [\(connectors.joined(separator: ", "))]}
            """
    }

    /// Checks that the world and the state agree exactly. Returns the problems found.
    static func check(_ firm: FirmProcess, name: String = "torture", state given: State? = nil) async throws -> [String] {
        var problems: [String] = []
        let sim = try SimulatedCloud(name: "sim", settings: SimulatedSettings(), baseDirectory: firm.directory)
        let sky = try SimulatedCloud(name: "sky", settings: SimulatedSettings(), connectivity: .l3, baseDirectory: firm.directory)
        let world = try await (sim.allVMs() + sky.allVMs()).filter { $0.sandbox == name }
        let state = try given ?? StateStore.load(StatePaths(snapshot: firm.path("state/\(name).state.json")), blueprint: name).state
        var appsInWorld: [String: Int] = [:]
        for vm in world { appsInWorld[vm.app, default: 0] += 1 }
        for (app, n) in appsInWorld where n > 1 { problems.append("app \(app) has \(n) VMs in the world") }
        for vm in world {
            guard let app = state.apps.values.first(where: { $0.vmUuid == vm.vmUuid && $0.vmName == vm.vmName }) else {
                problems.append("VM \(vm.vmName) is in the world but not in the state (an orphan)")
                continue
            }
            let recorded = Set(app.connections.values.compactMap(\.vlan))
            if recorded != Set(vm.vlans.keys) { problems.append("VM \(vm.vmName) is on VLANs \(vm.vlans.keys.sorted()), the state says \(recorded.sorted())") }
        }
        for (name, app) in state.apps where !world.contains(where: { $0.vmUuid == app.vmUuid }) {
            problems.append("app.\(name) is in the state but its VM \(app.vmName) does not exist")
        }
        if !state.intents.isEmpty { problems.append("\(state.intents.count) intents left open") }
        let infra = try await sky.infra(sandbox: name)
        if (infra == nil) != (state.infra["sky"] == nil) { problems.append("the L3 infrastructure exists in \(infra == nil ? "the state only" : "the world only")") }
        return problems
    }
}

@Suite("End to end: crash safety", .serialized)
struct CrashSafetyTests {
    @Test("kill -9 at random moments, 25 times: every next apply converges with no orphan, duplicate or lost result")
    func torture() async throws {
        var rng = SplitMix.announced("torture", variable: "FIRM_TORTURE_SEED")
        let seed = rng.seed
        let firm = FirmProcess()
        defer { firm.remove() }
        let latency = #"{"deploy": "5ms..30ms", "powerOn": "2ms..6ms", "refreshIP": "1ms..3ms", "delete": "3ms..10ms", "powerOff": "2ms", "applyConnectivityChanges": "2ms..8ms", "prepareSandboxInfra": "5ms..15ms", "cleanSandboxInfra": "3ms..10ms"}"#
        for round in 0..<25 {
            let variant = round % 3
            firm.write("torture.json", Torture.blueprint(count: 30, variant: variant == 2 ? 0 : variant, latency: latency))
            let command = variant == 2 ? ["destroy", "torture.json", "--auto-approve", "--parallelism", "8"]
                                       : ["apply", "torture.json", "--auto-approve", "--parallelism", "8"]
            let delay = Int.random(in: 20...350, using: &rng)
            let (process, out, err) = try firm.start(command)
            let outBox = ReadBox(out.fileHandleForReading), errBox = ReadBox(err.fileHandleForReading)
            // A thread sleep: a task sleep could wake seconds late on a busy pool, after the
            // apply has ended, and the round would test nothing.
            usleep(useconds_t(delay * 1000))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            _ = (outBox.text(), errBox.text())

            let again = try firm.run(command)
            #expect(again.code == 0, "round \(round) (seed \(seed), kill after \(delay) ms): \(again.output)")
            let problems = try await Torture.check(firm)
            #expect(problems.isEmpty, "round \(round) (seed \(seed), kill after \(delay) ms): \(problems)")
            let stateText = firm.read("state/torture.state.json") ?? ""
            #expect((try? JSONReader.parse(stateText)) != nil, "round \(round): the state file does not parse")
            if variant != 2 {
                let plan = try firm.run(["plan", "torture.json", "--detailed-exitcode"])
                #expect(plan.code == 0, "round \(round) (seed \(seed)): \(plan.output)")
            }
            if !problems.isEmpty || again.code != 0 { break }
        }
    }

    func startSlowApply(_ firm: FirmProcess, deploy: String = "600ms") throws -> (Process, ReadBox, ReadBox) {
        firm.write("slow.json", Torture.blueprint(count: 12, variant: 0, latency: #"{"deploy": "\#(deploy)"}"#, name: "slow"))
        let (process, out, err) = try firm.start(["apply", "slow.json", "--auto-approve", "--parallelism", "4"])
        return (process, ReadBox(out.fileHandleForReading), ReadBox(err.fileHandleForReading))
    }

    func waitForStart(_ firm: FirmProcess) async throws {
        waitUntil { firm.read(".firm/sim/sim.world")?.contains("pending") ?? false }
        usleep(100_000)
    }

    @Test("SIGINT mid-apply lets running actions finish, saves the state, releases the lock and exits 130")
    func gracefulInterrupt() async throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        let (process, out, err) = try startSlowApply(firm)
        try await waitForStart(firm)
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        let output = out.text() + err.text()
        #expect(process.terminationStatus == 130, "\(output)")
        #expect(output.contains("not started") || output.contains("skipped"))
        let lock = try await StateLock.acquire(StatePaths(snapshot: firm.path("state/slow.state.json")), operation: "test")
        lock.release()
        let state = try StateStore.load(StatePaths(snapshot: firm.path("state/slow.state.json")), blueprint: "slow").state
        #expect(state.intents.isEmpty, "in-flight actions finished and were recorded")
        #expect(state.apps.count >= 4 && state.apps.count < 12, "the deploys in flight completed and nothing new started")
        #expect(try await Torture.check(firm, name: "slow").isEmpty, "every VM is in the state")
        let again = try firm.run(["apply", "slow.json", "--auto-approve", "--parallelism", "12"])
        #expect(again.code == 0)
    }

    @Test("after --stop-timeout, running actions are cancelled; the next run recovers them with no orphan")
    func cancelAfterGrace() async throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("slow.json", Torture.blueprint(count: 6, variant: 0, latency: #"{"deploy": "30s"}"#, name: "slow"))
        let (process, out, err) = try firm.start(["apply", "slow.json", "--auto-approve", "--parallelism", "4", "--stop-timeout", "300ms"])
        let outBox = ReadBox(out.fileHandleForReading), errBox = ReadBox(err.fileHandleForReading)
        try await waitForStart(firm)
        let start = Date()
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        let output = outBox.text() + errBox.text()
        #expect(process.terminationStatus == 130, "\(output)")
        #expect(Date().timeIntervalSince(start) < 10, "it did not wait for the 30 s deploys")
        #expect(output.contains("FAILED  + deploy") && output.contains("cancelled"), "\(output)")
        let lock = try await StateLock.acquire(StatePaths(snapshot: firm.path("state/slow.state.json")), operation: "test")
        lock.release()
        firm.write("slow.json", Torture.blueprint(count: 6, variant: 0, latency: "{}", name: "slow"))
        let again = try firm.run(["apply", "slow.json", "--auto-approve"])
        #expect(again.code == 0, "\(again.output)")
        #expect(try await Torture.check(firm, name: "slow").isEmpty)
    }

    @Test("a second SIGINT exits at once, and the next run recovers what was in flight")
    func secondInterrupt() async throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        let (process, out, err) = try startSlowApply(firm, deploy: "4s")
        try await waitForStart(firm)
        let start = Date()
        kill(process.processIdentifier, SIGINT)
        try await Task.sleep(for: .milliseconds(50))
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        _ = (out.text(), err.text())
        #expect(process.terminationStatus == 130)
        #expect(Date().timeIntervalSince(start) < 3, "it did not wait for the 4 s deploys")
        let plan = try firm.run(["plan", "slow.json"])
        #expect(plan.stdout.contains("Recovered from an interrupted run"), "\(plan.output)")
        let again = try firm.run(["apply", "slow.json", "--auto-approve", "--parallelism", "12"])
        #expect(again.code == 0, "\(again.output)")
        #expect(again.stdout.contains("adopted VM"))
        #expect(try await Torture.check(firm, name: "slow").isEmpty)
        let state = try StateStore.load(StatePaths(snapshot: firm.path("state/slow.state.json")), blueprint: "slow").state
        #expect(state.apps.count == 12)
    }

    @Test("SIGTERM mid-apply exits 143 with the state saved")
    func terminate() async throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        let (process, out, err) = try startSlowApply(firm)
        try await waitForStart(firm)
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        _ = (out.text(), err.text())
        #expect(process.terminationStatus == 143)
        let state = try StateStore.load(StatePaths(snapshot: firm.path("state/slow.state.json")), blueprint: "slow").state
        #expect(state.intents.isEmpty)
    }

    @Test("force-unlock clears a lock nobody holds and refuses one that is held")
    func forceUnlock() async throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("lab.json", Blueprints.lab())
        let paths = StatePaths(snapshot: firm.path("state/lab.state.json"))
        let lock = try await StateLock.acquire(paths, operation: "apply")
        let held = try firm.run(["force-unlock", "lab.json", lock.info.id])
        #expect(held.code == 3)
        let wrong = try firm.run(["force-unlock", "lab.json", "not-the-id"])
        #expect(wrong.code == 1)
        lock.release()
        let free = try firm.run(["force-unlock", "lab.json", "whatever"])
        #expect(free.code == 0)
    }

    @Test("apply waits for a lock with --lock-timeout")
    func lockTimeout() async throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("lab.json", Blueprints.lab())
        let lock = try await StateLock.acquire(StatePaths(snapshot: firm.path("state/lab.state.json")), operation: "apply")
        let (process, out, err) = try firm.start(["apply", "lab.json", "--auto-approve", "--lock-timeout", "10s"], environment: Blueprints.secretEnv)
        let outBox = ReadBox(out.fileHandleForReading), errBox = ReadBox(err.fileHandleForReading)
        try await Task.sleep(for: .milliseconds(400))
        #expect(process.isRunning)
        lock.release()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(outBox.text() + errBox.text())")
    }
}

