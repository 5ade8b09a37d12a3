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

    /// The VMs of the simulated clouds `sim` and `sky` (their `put` objects, by VM name) as their
    /// world logs hold them now, read without their lock: a line being written is skipped.
    /// Synchronous, for `waitUntil`.
    static func worldVMs(_ firm: FirmProcess) -> [String: JSON] {
        var vms: [String: JSON] = [:]
        for provider in ["sim", "sky"] {
            for line in (firm.read(".firm/sim/\(provider).world") ?? "").split(separator: "\n") {
                guard let json = try? JSONReader.parse(String(line)).plain else { continue }
                if let vm = json["put"], let name = vm["vmName"]?.stringValue {
                    vms[name] = vm
                } else if let name = json["delete"]?.stringValue {
                    vms[name] = nil
                }
            }
        }
        return vms
    }

    /// How many VMs are pending right now: the deploys in flight.
    static func deploysInFlight(_ firm: FirmProcess) -> Int {
        worldVMs(firm).values.filter { $0["status"] == "pending" }.count
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

/// Kills and signals mid-apply, on both state backends. `forceUnlock` and `lockTimeout` are
/// here too: what a killed holder leaves behind.
@Suite("End to end: crash safety", .serialized)
struct CrashSafetyTests {
    static let latency = #"{"deploy": "5ms..30ms", "powerOn": "2ms..6ms", "refreshIP": "1ms..3ms", "delete": "3ms..10ms", "powerOff": "2ms", "applyConnectivityChanges": "2ms..8ms", "prepareSandboxInfra": "5ms..15ms", "cleanSandboxInfra": "3ms..10ms"}"#

    /// 25 rounds on local files; 8 on etcd, where each round after a kill also waits out the
    /// killed holder's 2 s lease.
    static func rounds(_ backend: StateBackendUnderTest) -> Int { backend == .local ? 25 : 8 }

    @Test("kill -9 at random moments of applies and destroys (25 rounds on local files, 8 on etcd): every next run converges with no orphan, duplicate or lost result",
          arguments: StateBackendUnderTest.withTLS)
    func torture(_ backend: StateBackendUnderTest) async throws {
        var rng = SplitMix.announced("torture on \(backend)", variable: "FIRM_TORTURE_SEED")
        let seed = rng.seed
        let bed = try TestBed(backend)
        defer { bed.stop() }
        let firm = bed.firm
        var killedMidRun = 0, leftLocked = 0
        for round in 0..<Self.rounds(backend) {
            let variant = round % 3
            firm.write("torture.json", Torture.blueprint(count: 30, variant: variant == 2 ? 0 : variant, latency: Self.latency))
            let command = [variant == 2 ? "destroy" : "apply", "torture.json", "--auto-approve", "--parallelism", "8"]
            let delay = Int.random(in: 0...300, using: &rng)
            let (process, out, err) = try bed.start(command + bed.killable)
            // The kill lands a random while after firm has taken the lock, so that it is
            // mid-run however slow the machine. The pause is what is tested (a random moment),
            // so it is a thread sleep: a task sleep could wake seconds late on a busy pool.
            waitUntil(.seconds(20)) { !process.isRunning || bed.isLocked("torture") }
            usleep(useconds_t(delay * 1000))
            let endedFirst = !process.isRunning
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let output = out.text() + err.text()
            if endedFirst {
                #expect(process.terminationStatus == 0, "round \(round): a run that ended before its kill failed: \(output)")
            } else {
                killedMidRun += 1
            }
            if bed.isLocked("torture") { leftLocked += 1 }

            // A killed holder's etcd lease outlives it by at most its TTL (2 s): the wait is a bound.
            let again = try bed.run(command + ["--lock-timeout", "20s"])
            #expect(again.code == 0, "round \(round) (seed \(seed), kill after \(delay) ms): \(again.output)")
            let problems = try await Torture.check(firm, state: bed.state("torture"))
            #expect(problems.isEmpty, "round \(round) (seed \(seed), kill after \(delay) ms): \(problems)")
            if backend == .local {
                let stateText = firm.read("state/torture.state.json") ?? ""
                #expect((try? JSONReader.parse(stateText)) != nil, "round \(round): the state file does not parse")
            }
            if variant != 2 {
                let plan = try bed.run(["plan", "torture.json", "--detailed-exitcode"])
                #expect(plan.code == 0, "round \(round) (seed \(seed)): \(plan.output)")
            }
            if !problems.isEmpty || again.code != 0 { break }
        }
        #expect(killedMidRun > 0, "at least one kill landed while firm ran")
        if backend.isEtcd {
            #expect(leftLocked > 0, "at least one kill left a lock for the lease to end")
        } else {
            #expect(leftLocked == 0, "a local lock dies with its holder")
        }
    }

    /// Starts an apply of 12 apps whose deploys take `deploy`, four at a time.
    func startSlowApply(_ bed: TestBed, deploy: String = "600ms") throws -> (Process, ReadBox, ReadBox) {
        bed.firm.write("slow.json", Torture.blueprint(count: 12, variant: 0, latency: #"{"deploy": "\#(deploy)"}"#, name: "slow"))
        return try bed.start(["apply", "slow.json", "--auto-approve", "--parallelism", "4"] + bed.killable)
    }

    /// Waits until the slow apply has its four deploys in flight.
    func waitForStart(_ bed: TestBed) {
        #expect(waitUntil { Torture.deploysInFlight(bed.firm) >= 4 }, "four deploys are in flight")
    }

    @Test("SIGINT mid-apply lets running actions finish, saves the state, releases the lock and exits 130", arguments: StateBackendUnderTest.withTLS)
    func gracefulInterrupt(_ backend: StateBackendUnderTest) async throws {
        let bed = try TestBed(backend)
        defer { bed.stop() }
        // Deploys of 2 s: on a loaded machine the signal still lands before the third round of
        // deploys is over (with 600 ms, the whole apply once finished first and exited 0).
        let (process, out, err) = try startSlowApply(bed, deploy: "2s")
        waitForStart(bed)
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        let output = out.text() + err.text()
        #expect(process.terminationStatus == 130, "\(output)")
        #expect(output.contains("not started") || output.contains("skipped"))
        await bed.release(try await bed.lock("slow"))
        let state = try await bed.state("slow")
        #expect(state.intents.isEmpty, "in-flight actions finished and were recorded")
        #expect(state.apps.count >= 4 && state.apps.count < 12, "the deploys in flight completed and nothing new started")
        #expect(try await Torture.check(bed.firm, name: "slow", state: state).isEmpty, "every VM is in the state")
        let again = try bed.run(["apply", "slow.json", "--auto-approve", "--parallelism", "12"])
        #expect(again.code == 0)
    }

    @Test("after --stop-timeout, running actions are cancelled; the next run recovers them with no orphan", arguments: StateBackendUnderTest.withTLS)
    func cancelAfterGrace(_ backend: StateBackendUnderTest) async throws {
        let bed = try TestBed(backend)
        defer { bed.stop() }
        bed.firm.write("slow.json", Torture.blueprint(count: 6, variant: 0, latency: #"{"deploy": "30s"}"#, name: "slow"))
        let (process, out, err) = try bed.start(["apply", "slow.json", "--auto-approve", "--parallelism", "4", "--stop-timeout", "300ms"])
        waitForStart(bed)
        let start = Date()
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        let output = out.text() + err.text()
        #expect(process.terminationStatus == 130, "\(output)")
        #expect(Date().timeIntervalSince(start) < 10, "it did not wait for the 30 s deploys")
        #expect(output.contains("FAILED  + deploy") && output.contains("cancelled"), "\(output)")
        await bed.release(try await bed.lock("slow"))
        bed.firm.write("slow.json", Torture.blueprint(count: 6, variant: 0, latency: "{}", name: "slow"))
        let again = try bed.run(["apply", "slow.json", "--auto-approve"])
        #expect(again.code == 0, "\(again.output)")
        #expect(try await Torture.check(bed.firm, name: "slow", state: bed.state("slow")).isEmpty)
    }

    @Test("a second SIGINT exits at once, and the next run recovers what was in flight", arguments: StateBackendUnderTest.withTLS)
    func secondInterrupt(_ backend: StateBackendUnderTest) async throws {
        let bed = try TestBed(backend)
        defer { bed.stop() }
        let (process, out, err) = try startSlowApply(bed, deploy: "4s")
        waitForStart(bed)
        let start = Date()
        kill(process.processIdentifier, SIGINT)
        // The second signal comes once the first has been handled.
        #expect(waitUntil { err.soFar.contains("SIGINT received") }, "\(err.soFar)")
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        _ = (out.text(), err.text())
        #expect(process.terminationStatus == 130)
        #expect(Date().timeIntervalSince(start) < 3, "it did not wait for the 4 s deploys")
        // On etcd the lock of a firm that exited at once outlives it by its lease (2 s), and
        // until it ends a plan takes the deploys for an apply's that still runs.
        #expect(waitUntil { !bed.isLocked("slow") }, "the lock of the firm that exited has gone")
        let plan = try bed.run(["plan", "slow.json"])
        #expect(plan.stdout.contains("Recovered from an interrupted run"), "\(plan.output)")
        let again = try bed.run(["apply", "slow.json", "--auto-approve", "--parallelism", "12"])
        #expect(again.code == 0, "\(again.output)")
        #expect(again.stdout.contains("adopted VM"))
        let state = try await bed.state("slow")
        #expect(try await Torture.check(bed.firm, name: "slow", state: state).isEmpty)
        #expect(state.apps.count == 12)
    }

    @Test("SIGTERM mid-apply exits 143 with the state saved", arguments: StateBackendUnderTest.withTLS)
    func terminate(_ backend: StateBackendUnderTest) async throws {
        let bed = try TestBed(backend)
        defer { bed.stop() }
        let (process, out, err) = try startSlowApply(bed)
        waitForStart(bed)
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        _ = (out.text(), err.text())
        #expect(process.terminationStatus == 143)
        let state = try await bed.state("slow")
        #expect(state.intents.isEmpty)
        #expect(!state.apps.isEmpty, "the deploys in flight were recorded")
        #expect(!bed.isLocked("slow"), "the lock was released")
        // Stopped with nothing failed: the sandbox is listed as interrupted, not failed.
        let listed = try bed.run(["sandboxes", "--json"])
        let entry = try JSONReader.parse(listed.stdout).plain.arrayValue?.first { $0["name"] == "slow" }
        #expect(entry?["status"] == "interrupted", "\(listed.output)")
    }

    @Test("force-unlock refuses a held lock, and a wrong id; it clears a lock nobody holds", arguments: StateBackendUnderTest.withTLS)
    func forceUnlock(_ backend: StateBackendUnderTest) async throws {
        let bed = try TestBed(backend)
        defer { bed.stop() }
        bed.firm.write("lab.json", Blueprints.lab())
        let lock = try await bed.lock("lab", operation: "apply")
        let held = try bed.run(["force-unlock", "lab.json", lock.info.id])
        #expect(held.code == 3, "\(held.output)")
        if backend.isEtcd { #expect(held.stderr.contains("lease ends within"), "a live holder's lease is refused: \(held.stderr)") }
        let wrong = try bed.run(["force-unlock", "lab.json", "not-the-id"])
        #expect(wrong.code == 1, "\(wrong.output)")
        #expect(wrong.stderr.contains("the lock id is \(lock.info.id), not not-the-id"), "\(wrong.stderr)")
        #expect(bed.isLocked("lab"), "neither broke the lock")
        await bed.release(lock)
        let free = try bed.run(["force-unlock", "lab.json", "whatever"])
        #expect(free.code == 0, "\(free.output)")
        #expect(free.stdout.contains("not locked") || free.stdout.contains("no longer held"), "\(free.output)")
    }

    @Test("apply with --lock-timeout waits for a held lock, doing nothing meanwhile, and runs once it is released", arguments: StateBackendUnderTest.withTLS)
    func lockTimeout(_ backend: StateBackendUnderTest) async throws {
        let bed = try TestBed(backend)
        defer { bed.stop() }
        bed.firm.write("lab.json", Blueprints.lab())
        let lock = try await bed.lock("lab", operation: "apply")
        let (process, out, err) = try bed.start(["apply", "lab.json", "--auto-approve", "--lock-timeout", "60s"])
        #expect(waitUntil { bed.isWaiting(process, forLockOf: "lab") }, "firm came to the lock")
        #expect(process.isRunning, "it waits for the lock")
        #expect(!bed.firm.exists(".firm/sim/sim.world"), "and does nothing meanwhile")
        await bed.release(lock)
        #expect(process.waitUntilExit(limit: .seconds(30)), "a released lock wakes the waiter")
        #expect(process.terminationStatus == 0, "\(out.text()) \(err.text())")
        let world = try await SimulatedCloud(name: "sim", settings: SimulatedSettings(), baseDirectory: bed.firm.directory).allVMs()
        #expect(world.count == 3)
    }
}
