import Foundation
import Testing

@testable import Firmament

/// SplitMix64: a small seeded generator, so that a failing run can be repeated from its seed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum Torture {
    /// A blueprint of `count` apps; `variant` changes some deployment types and power states.
    static func blueprint(count: Int, variant: Int, latency: String) -> String {
        var apps: [String] = []
        for i in 0..<count {
            let type = (variant == 1 && i % 4 == 0) ? "large" : "small"
            let power = (variant == 1 && i % 5 == 1) ? "off" : "on"
            apps.append(#""a\#(i)": {"deploymentPath": {"provider": "sim", "deploymentType": "\#(type)"}, "power": "\#(power)", "waitForIP": \#(i % 2 == 0)}"#)
        }
        return """
            {"version": 1, "name": "torture",
             "providers": {"sim": {"type": "simulated", "settings": {"cidr": "10.50.0.0/22", "latency": \(latency)}}},
             "apps": {\(apps.joined(separator: ",\n"))}}
            """
    }

    /// Checks that the world and the state agree exactly. Returns the problems found.
    static func check(_ firm: FirmProcess) throws -> [String] {
        var problems: [String] = []
        let cloud = try SimulatedCloud(name: "sim", settings: SimulatedSettings(), baseDirectory: firm.directory)
        let world = try cloud.allVMs().filter { $0.sandbox == "torture" }
        let state = try StateStore.load(StatePaths(snapshot: firm.path("state/torture.state.json")), blueprint: "torture").state
        var appsInWorld: [String: Int] = [:]
        for vm in world { appsInWorld[vm.app, default: 0] += 1 }
        for (app, n) in appsInWorld where n > 1 { problems.append("app \(app) has \(n) VMs in the world") }
        for vm in world where !state.apps.values.contains(where: { $0.vmUuid == vm.vmUuid && $0.vmName == vm.vmName }) {
            problems.append("VM \(vm.vmName) is in the world but not in the state (an orphan)")
        }
        for (name, app) in state.apps where !world.contains(where: { $0.vmUuid == app.vmUuid }) {
            problems.append("app.\(name) is in the state but its VM \(app.vmName) does not exist")
        }
        if !state.intents.isEmpty { problems.append("\(state.intents.count) intents left open") }
        return problems
    }
}

@Suite("End to end: crash safety", .serialized)
struct CrashSafetyTests {
    @Test("kill -9 at random moments, 25 times: every next apply converges with no orphan, duplicate or lost result")
    func torture() async throws {
        let seed = UInt64(ProcessInfo.processInfo.environment["FIRM_TORTURE_SEED"] ?? "") ?? UInt64.random(in: 1...UInt64.max / 2)
        print("torture seed: \(seed) (set FIRM_TORTURE_SEED to repeat)")
        var rng = SeededGenerator(state: seed)
        let firm = FirmProcess()
        defer { firm.remove() }
        let latency = #"{"deploy": "5ms..30ms", "powerOn": "2ms..6ms", "refreshIP": "1ms..3ms", "delete": "3ms..10ms", "powerOff": "2ms"}"#
        for round in 0..<25 {
            let variant = round % 3
            firm.write("torture.json", Torture.blueprint(count: 30, variant: variant == 2 ? 0 : variant, latency: latency))
            let command = variant == 2 ? ["destroy", "torture.json", "--auto-approve", "--parallelism", "8"]
                                       : ["apply", "torture.json", "--auto-approve", "--parallelism", "8"]
            let delay = Int.random(in: 20...350, using: &rng)
            let (process, out, err) = try firm.start(command)
            let outBox = ReadBox(out.fileHandleForReading), errBox = ReadBox(err.fileHandleForReading)
            try await Task.sleep(for: .milliseconds(delay))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            _ = (outBox.text(), errBox.text())

            let again = try firm.run(command)
            #expect(again.code == 0, "round \(round) (seed \(seed), kill after \(delay) ms): \(again.output)")
            let problems = try Torture.check(firm)
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

    func startSlowApply(_ firm: FirmProcess) throws -> (Process, ReadBox, ReadBox) {
        firm.write("slow.json", Torture.blueprint(count: 12, variant: 0, latency: #"{"deploy": "600ms"}"#).replacingOccurrences(of: "\"torture\"", with: "\"slow\""))
        let (process, out, err) = try firm.start(["apply", "slow.json", "--auto-approve", "--parallelism", "4"])
        return (process, ReadBox(out.fileHandleForReading), ReadBox(err.fileHandleForReading))
    }

    func waitForStart(_ firm: FirmProcess) async throws {
        for _ in 0..<100 where !firm.exists(".firm/sim/sim.world") {
            try await Task.sleep(for: .milliseconds(20))
        }
        try await Task.sleep(for: .milliseconds(100))
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
        #expect(output.contains("not started"))
        let lock = try StateLock.acquire(StatePaths(snapshot: firm.path("state/slow.state.json")), operation: "test")
        lock.release()
        let state = try StateStore.load(StatePaths(snapshot: firm.path("state/slow.state.json")), blueprint: "slow").state
        #expect(state.intents.isEmpty, "in-flight actions finished and were recorded")
        #expect(state.apps.count >= 4 && state.apps.count < 12, "the deploys in flight completed and nothing new started")
        let world = try SimulatedCloud(name: "sim", settings: SimulatedSettings(), baseDirectory: firm.directory).allVMs()
        #expect(Set(world.map(\.vmUuid)) == Set(state.apps.values.map(\.vmUuid)), "every VM is in the state")
        let again = try firm.run(["apply", "slow.json", "--auto-approve", "--parallelism", "12"])
        #expect(again.code == 0)
    }

    @Test("a second SIGINT exits at once, and the next run recovers what was in flight")
    func secondInterrupt() async throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        let (process, out, err) = try startSlowApply(firm)
        try await waitForStart(firm)
        let start = Date()
        kill(process.processIdentifier, SIGINT)
        try await Task.sleep(for: .milliseconds(50))
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        _ = (out.text(), err.text())
        #expect(process.terminationStatus == 130)
        #expect(Date().timeIntervalSince(start) < 0.5, "it did not wait for the 600 ms deploys")
        let plan = try firm.run(["plan", "slow.json"])
        #expect(plan.stdout.contains("Recovered from an interrupted run"), "\(plan.output)")
        let again = try firm.run(["apply", "slow.json", "--auto-approve", "--parallelism", "12"])
        #expect(again.code == 0, "\(again.output)")
        #expect(again.stdout.contains("adopted VM"))
        let world = try SimulatedCloud(name: "sim", settings: SimulatedSettings(), baseDirectory: firm.directory).allVMs()
        #expect(world.count == 12)
        #expect(Set(world.map(\.app)).count == 12)
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
    func forceUnlock() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("lab.json", Blueprints.lab())
        let paths = StatePaths(snapshot: firm.path("state/lab.state.json"))
        let lock = try StateLock.acquire(paths, operation: "apply")
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
        let lock = try StateLock.acquire(StatePaths(snapshot: firm.path("state/lab.state.json")), operation: "apply")
        let (process, out, err) = try firm.start(["apply", "lab.json", "--auto-approve", "--lock-timeout", "10s"], environment: Blueprints.secretEnv)
        let outBox = ReadBox(out.fileHandleForReading), errBox = ReadBox(err.fileHandleForReading)
        try await Task.sleep(for: .milliseconds(400))
        #expect(process.isRunning)
        lock.release()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(outBox.text() + errBox.text())")
    }
}

