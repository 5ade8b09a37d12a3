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

@Suite("End to end: lifecycle", .serialized)
struct LifecycleTests {
    func actions(_ plan: String) throws -> [String] {
        let json = try JSONReader.parse(plan).plain
        return (json["actions"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue }
    }

    func worldVMs(_ firm: FirmProcess) async throws -> [SimulatedVM] {
        let cloud = try SimulatedCloud(name: "sim", settings: SimulatedSettings(), baseDirectory: firm.directory)
        return try await cloud.allVMs()
    }

    @Test("apply, no changes, change power and a deployment attribute, apply, destroy: state and world end empty",
          arguments: StateBackendUnderTest.withTLS)
    func lifecycle(_ backend: StateBackendUnderTest) async throws {
        let bed = try TestBed(backend)
        defer { bed.stop() }
        let firm = bed.firm
        firm.write("lab.json", Blueprints.lab())

        let apply = try bed.run(["apply", "lab.json", "--auto-approve"])
        #expect(apply.code == 0, "\(apply.output)")
        #expect(apply.stdout.contains("Apply complete"))
        #expect(try await worldVMs(firm).count == 3)
        #expect(try await worldVMs(firm).allSatisfy { $0.status == .running })

        let same = try bed.run(["plan", "lab.json", "--detailed-exitcode"])
        #expect(same.code == 0, "\(same.output)")
        #expect(same.stdout.contains("No changes"))

        firm.write("lab.json", Blueprints.lab(webPower: "off", dbType: "postgres-16"))
        let changed = try bed.run(["plan", "lab.json", "--json", "--detailed-exitcode"])
        #expect(changed.code == 2)
        #expect(try actions(changed.stdout) == ["replace:app.db", "powerOn:app.db", "powerOff:app.web"])
        #expect(changed.stdout.contains("deploymentPath.deploymentType"))

        let oldDB = try #require(try await worldVMs(firm).first { $0.app == "db" }).vmName
        let second = try bed.run(["apply", "lab.json", "--auto-approve"])
        #expect(second.code == 0, "\(second.output)")
        let world = try await worldVMs(firm)
        #expect(world.count == 3)
        #expect(world.first { $0.app == "web" }?.status == .stopped)
        #expect(world.first { $0.app == "db" }?.vmName != oldDB)
        #expect(try bed.run(["plan", "lab.json", "--detailed-exitcode"]).code == 0)

        let destroy = try bed.run(["destroy", "lab.json", "--auto-approve"])
        #expect(destroy.code == 0, "\(destroy.output)")
        #expect(try await worldVMs(firm).isEmpty)
        let list = try bed.run(["state", "list", "lab.json"])
        #expect(list.code == 0)
        #expect(list.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
        let state = try await bed.state("lab")
        #expect(state.apps.isEmpty && state.intents.isEmpty && state.serial > 0, "the state exists, and is empty")
    }

    @Test("an injected deploy failure leaves siblings done and dependents skipped; a second apply converges", arguments: StateBackendUnderTest.withTLS)
    func injectedFailure(_ backend: StateBackendUnderTest) async throws {
        let bed = try TestBed(backend)
        defer { bed.stop() }
        let firm = bed.firm
        firm.write("lab.json", Blueprints.lab(failures: #"{"deploy": ["api"]}"#))
        let first = try bed.run(["apply", "lab.json", "--auto-approve"])
        #expect(first.code == 1)
        #expect(first.stdout.contains("FAILED  + deploy app.api"))
        #expect(first.stdout.contains("skipped ~ power on app.api (deploy:app.api failed)"))
        #expect(first.stdout.contains("skipped ~ refresh IP app.api"))
        #expect(first.stdout.contains("done    ~ refresh IP app.web"))
        #expect(first.stdout.contains("5 done, 1 failed, 2 skipped"), "\(first.stdout)")
        let state = try await bed.state("lab")
        #expect(state.apps["web"]?.power == .on)
        #expect(state.apps["api"] == nil)

        firm.write("lab.json", Blueprints.lab())
        let second = try bed.run(["apply", "lab.json", "--auto-approve"])
        #expect(second.code == 0, "\(second.output)")
        #expect(second.stdout.contains("+ deploy app.api"))
        #expect(!second.stdout.contains("deploy app.web"))
        #expect(try bed.run(["plan", "lab.json", "--detailed-exitcode"]).code == 0)
    }

    @Test("a second apply on a held lock fails at once and says who holds it; drift reads without the lock", arguments: StateBackendUnderTest.withTLS)
    func heldLock(_ backend: StateBackendUnderTest) async throws {
        let bed = try TestBed(backend)
        defer { bed.stop() }
        let firm = bed.firm
        firm.write("lab.json", Blueprints.lab())
        // A state to read: drift refuses one that isn't there.
        #expect(try bed.run(["apply", "lab.json", "--auto-approve"]).code == 0)
        let world = firm.read(".firm/sim/sim.world")
        let lock = try await bed.lock("lab", operation: "apply")
        defer { lock.release() }
        let start = Date()
        let result = try bed.run(["apply", "lab.json", "--auto-approve"])
        #expect(result.code == 3, "\(result.output)")
        #expect(result.stderr.contains("locked by"), "\(result.stderr)")
        #expect(result.stderr.contains("pid \(getpid())"))
        #expect(result.stderr.contains(lock.info.id))
        #expect(result.stderr.contains("'apply'"))
        #expect(Date().timeIntervalSince(start) < 10)
        #expect(firm.read(".firm/sim/sim.world") == world, "nothing ran")
        #expect(try bed.run(["drift", "lab.json"]).code == 0, "drift reads without the lock")
    }

    @Test("a saved plan applies once; a stale one is refused with its own exit code", arguments: StateBackendUnderTest.withTLS)
    func savedPlans(_ backend: StateBackendUnderTest) throws {
        let bed = try TestBed(backend)
        defer { bed.stop() }
        let firm = bed.firm
        firm.write("lab.json", Blueprints.lab())
        #expect(try bed.run(["plan", "lab.json", "--out", "first.plan"]).code == 0)
        #expect(try bed.run(["plan", "lab.json", "--out", "second.plan"]).code == 0)
        #expect(firm.read("first.plan") == firm.read("second.plan"))
        #expect(firm.read("first.plan")?.contains("hunter2") == false)
        let applied = try bed.run(["apply", "first.plan"])
        #expect(applied.code == 0, "\(applied.output)")
        let stale = try bed.run(["apply", "second.plan"])
        #expect(stale.code == 4)
        #expect(stale.stderr.contains("stale plan"))

        #expect(try bed.run(["plan", "lab.json", "--out", "third.plan"]).code == 0)
        firm.write("lab.json", Blueprints.lab(webPower: "off"))
        let changedBlueprint = try bed.run(["apply", "third.plan"])
        #expect(changedBlueprint.code == 4)
        #expect(changedBlueprint.stderr.contains("blueprint"))
    }

    @Test("secrets from the environment never reach output, plans or the state", arguments: StateBackendUnderTest.withTLS)
    func secrets(_ backend: StateBackendUnderTest) throws {
        let bed = try TestBed(backend)
        defer { bed.stop() }
        bed.firm.write("lab.json", Blueprints.lab())
        let apply = try bed.run(["apply", "lab.json", "--auto-approve"])
        #expect(apply.code == 0)
        let show = try bed.run(["show", "lab.json"])
        let showJSON = try bed.run(["show", "lab.json", "--json"])
        let stored = try bed.stored()
        #expect(stored.values.contains { $0.contains("LAB_DB_PASSWORD") }, "the state was read: \(stored.keys.sorted())")
        for text in [apply.output, show.output, showJSON.output] + Array(stored.values) {
            #expect(!text.contains("hunter2"))
        }
        #expect(show.stdout.contains("Password = (sensitive, from $LAB_DB_PASSWORD)"))
    }

    @Test("a missing secret stops the apply before anything changes", arguments: StateBackendUnderTest.withTLS)
    func missingSecret(_ backend: StateBackendUnderTest) async throws {
        let bed = try TestBed(backend)
        defer { bed.stop() }
        bed.firm.write("lab.json", Blueprints.lab())
        let result = try bed.run(["apply", "lab.json", "--auto-approve"], unset: ["LAB_DB_PASSWORD"])
        #expect(result.code == 1)
        #expect(result.stderr.contains("LAB_DB_PASSWORD"))
        #expect(try await worldVMs(bed.firm).isEmpty)
        #expect(try await bed.state("lab").serial == 0, "nothing was recorded")
    }

    @Test("changes made outside Firmament are planned back and fixed", arguments: StateBackendUnderTest.withTLS)
    func outOfBand(_ backend: StateBackendUnderTest) throws {
        let bed = try TestBed(backend)
        defer { bed.stop() }
        bed.firm.write("lab.json", Blueprints.lab())
        #expect(try bed.run(["apply", "lab.json", "--auto-approve"]).code == 0)
        #expect(try bed.run(["sim", "lab.json", "stop", "web"]).code == 0)
        #expect(try bed.run(["sim", "lab.json", "delete", "api"]).code == 0)
        let plan = try bed.run(["plan", "lab.json", "--json", "--detailed-exitcode"])
        #expect(plan.code == 2)
        #expect(try actions(plan.stdout) == ["deploy:app.api", "powerOn:app.api", "refreshIP:app.api", "powerOn:app.web", "refreshIP:app.web"])
        #expect(try bed.run(["plan", "lab.json", "--refresh=false", "--detailed-exitcode"]).code == 0)
        #expect(try bed.run(["apply", "lab.json", "--auto-approve"]).code == 0)
        #expect(try bed.run(["plan", "lab.json", "--detailed-exitcode"]).code == 0)
    }

    @Test("two firm processes applying at once share one simulated world (and one VLAN pool) without corrupting either",
          arguments: StateBackendUnderTest.withTLS)
    func sharedWorld(_ backend: StateBackendUnderTest) async throws {
        let bed = try TestBed(backend)
        defer { bed.stop() }
        let firm = bed.firm
        let latency = #"{"deploy": "1ms..5ms"}"#
        firm.write("one.json", Torture.blueprint(count: 40, variant: 0, latency: latency, name: "one"))
        // Each its own fixed VLAN: a fixed id one live sandbox holds is refused to the other.
        let two = Torture.blueprint(count: 40, variant: 0, latency: latency, name: "two").replacingOccurrences(of: #""vlan": 300"#, with: #""vlan": 301"#)
        #expect(two.contains(#""vlan": 301"#))
        firm.write("two.json", two)
        let (p1, o1, e1) = try bed.start(["apply", "one.json", "--auto-approve", "--parallelism", "20"])
        let (p2, o2, e2) = try bed.start(["apply", "two.json", "--auto-approve", "--parallelism", "20"])
        p1.waitUntilExit()
        p2.waitUntilExit()
        let output = [o1, e1, o2, e2].map { $0.text() }.joined()
        #expect(p1.terminationStatus == 0 && p2.terminationStatus == 0, "\(output)")
        for name in ["one", "two"] {
            let problems = try await Torture.check(firm, name: name, state: bed.state(name))
            #expect(problems.isEmpty, "\(name): \(problems)")
        }
        let vlans = [try await bed.state("one").networks["back"]?.vlan, try await bed.state("two").networks["back"]?.vlan]
        #expect(vlans[0] != nil && vlans[1] != nil && vlans[0] != vlans[1], "the shared pool gave each its own auto VLAN: \(vlans)")
        let sim = try await SimulatedCloud(name: "sim", settings: SimulatedSettings(), baseDirectory: firm.directory).allVMs()
        #expect(Set(sim.map(\.ip)).count == sim.count, "no address was handed out twice")
    }
}

extension LifecycleTests {
    @Test("a replace whose deploy fails after its delete succeeded leaves no VM and no stale record; the next apply deploys it",
          arguments: StateBackendUnderTest.withTLS)
    func replaceHalfDone(_ backend: StateBackendUnderTest) async throws {
        let bed = try TestBed(backend)
        defer { bed.stop() }
        let firm = bed.firm
        firm.write("lab.json", Blueprints.lab())
        #expect(try bed.run(["apply", "lab.json", "--auto-approve"]).code == 0)
        let oldDB = try #require(try await worldVMs(firm).first { $0.app == "db" })
        firm.write("lab.json", Blueprints.lab(dbType: "postgres-16", failures: #"{"deploy": ["db"]}"#))
        let replace = try bed.run(["apply", "lab.json", "--auto-approve"])
        #expect(replace.code == 1)
        #expect(replace.stdout.contains("FAILED  -/+ replace app.db"), "\(replace.stdout)")
        #expect(try await worldVMs(firm).contains { $0.app == "db" } == false, "the old VM was deleted and no new one exists")
        let state = try await bed.state("lab")
        #expect(state.apps["db"] == nil, "the state does not keep the deleted VM \(oldDB.vmName)")
        #expect(state.intents.count == 1, "the failed deploy's intent is left for recovery to settle")
        firm.write("lab.json", Blueprints.lab(dbType: "postgres-16"))
        let plan = try bed.run(["plan", "lab.json"])
        #expect(plan.stdout.contains("an interrupted deploy of app.db created no VM"), "\(plan.stdout)")
        let json = try bed.run(["plan", "lab.json", "--json"])
        #expect(try actions(json.stdout) == ["deploy:app.db", "powerOn:app.db"])
        #expect(try bed.run(["apply", "lab.json", "--auto-approve"]).code == 0)
        #expect(try await worldVMs(firm).filter { $0.app == "db" }.count == 1)
    }

    /// Local only: it blocks the snapshot's rename with a folder, and the message it checks
    /// names the journal file; etcd has neither (its failures are in EtcdFailureTests).
    @Test("when the final snapshot can't be written, the summary is still shown, with where the results are and what to do")
    func compactionFails() async throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("lab.json", Blueprints.lab(latency: #"{"deploy": "2s"}"#))
        let (process, out, err) = try firm.start(["apply", "lab.json", "--auto-approve"], environment: Blueprints.secretEnv)
        let outBox = ReadBox(out.fileHandleForReading), errBox = ReadBox(err.fileHandleForReading)
        // Once the apply runs, put a non-empty folder where the snapshot goes: its rename fails.
        #expect(waitUntil { firm.read(".firm/sim/sim.world")?.contains("pending") ?? false })
        try? FileManager.default.moveItem(atPath: firm.path("state/lab.state.json"), toPath: firm.path("aside.json"))
        try FileManager.default.createDirectory(atPath: firm.path("state/lab.state.json/blocker"), withIntermediateDirectories: true)
        let running = process.isRunning
        process.waitUntilExit()
        let stdout = outBox.text(), stderr = errBox.text()
        #expect(running, "the folder was put in place while the apply ran")
        #expect(process.terminationStatus == 1, "\(stdout) \(stderr)")
        // "done" alone would be any progress line; the summary is the line that counts them.
        #expect(stdout.contains("Apply complete") && stdout.contains("done, 0 failed, 0 skipped."), "the summary is shown: \(stdout)")
        #expect(stderr.contains("Every result is safe in the journal"), "\(stderr)")
        #expect(stderr.contains("firm refresh lab.json"))
        // Fix the cause: the next run reads every result from the journal.
        try FileManager.default.removeItem(atPath: firm.path("state/lab.state.json"))
        try? FileManager.default.moveItem(atPath: firm.path("aside.json"), toPath: firm.path("state/lab.state.json"))
        let refresh = try firm.run(["refresh", "lab.json"])
        #expect(refresh.code == 0, "\(refresh.output)")
        #expect(try firm.run(["plan", "lab.json", "--detailed-exitcode"], environment: Blueprints.secretEnv).code == 0)
        #expect(try await worldVMs(firm).count == 3)
    }
}
