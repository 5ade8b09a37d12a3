import Foundation
import Testing
#if canImport(FoundationXML)
import FoundationXML
#endif
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

@Suite("End to end: drift", .serialized)
struct DriftTests {
    struct Kind: CustomStringConvertible, Sendable {
        var name: String
        /// `firm sim` arguments after the blueprint.
        var change: [String]
        var kind: String
        var target: String
        var fix: String
        /// The plan that fixes it, as action ids; empty when apply only records the change.
        var plan: [String]
        var description: String { name }
    }

    static let kinds: [Kind] = [
        Kind(name: "a VM deleted out of band", change: ["delete", "api"], kind: "missing", target: "app.api", fix: "deploy",
             plan: ["deploy:app.api", "powerOn:app.api", "refreshIP:app.api"]),
        Kind(name: "a VM stopped out of band", change: ["stop", "web"], kind: "power", target: "app.web", fix: "powerOn",
             plan: ["powerOn:app.web", "refreshIP:app.web"]),
        Kind(name: "an address changed out of band", change: ["set-ip", "db", "10.9.0.200"], kind: "address", target: "app.db",
             fix: "none: apply or firm refresh records the new address", plan: []),
    ]

    func junitFailures(_ firm: FirmProcess, _ name: String) throws -> (tests: Int, failures: Int) {
        let document = try XMLDocument(data: Data(try #require(firm.read(name), "no \(name)").utf8))
        let suite = try #require(try document.nodes(forXPath: "/testsuites/testsuite").first as? XMLElement, "no testsuite element")
        let cases = try document.nodes(forXPath: "//testcase").count
        let failures = try document.nodes(forXPath: "//failure").count
        #expect(suite.attribute(forName: "failures")?.stringValue == String(failures))
        return (cases, failures)
    }

    @Test("each kind of drift is reported exactly, planned back, fixed, and then gone", arguments: kinds, StateBackendUnderTest.all)
    func driftKind(_ k: Kind, _ backend: StateBackendUnderTest) throws {
        let bed = try TestBed(backend)
        defer { bed.stop() }
        let firm = bed.firm
        firm.write("lab.json", Blueprints.lab())
        #expect(try bed.run(["apply", "lab.json", "--auto-approve"]).code == 0)
        #expect(try bed.run(["drift", "lab.json"]).code == 0)

        #expect(try bed.run(["sim", "lab.json"] + k.change).code == 0)
        let drift = try bed.run(["drift", "lab.json", "--json", "--junit", "drift.xml"])
        #expect(drift.code == 2, "\(drift.output)")
        let report = try JSONReader.parse(drift.stdout).plain
        #expect(report["inSync"] == false)
        let items = report["items"]?.arrayValue ?? []
        #expect(items.count == 1)
        #expect(items.first?["kind"]?.stringValue == k.kind)
        #expect(items.first?["target"]?.stringValue == k.target)
        #expect(items.first?["fix"]?.stringValue == k.fix)
        #expect(items.first?["expected"] != nil && items.first?["actual"] != nil)
        #expect(report["pending"] == [])
        let junit = try junitFailures(firm, "drift.xml")
        #expect(junit.tests == 3)
        #expect(junit.failures == 1)

        let plan = try bed.run(["plan", "lab.json", "--json"])
        let ids = (try JSONReader.parse(plan.stdout).plain["actions"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue }
        #expect(ids == k.plan)
        #expect(try bed.run(["apply", "lab.json", "--auto-approve"]).code == 0)
        let after = try bed.run(["drift", "lab.json"])
        #expect(after.code == 0, "\(after.output)")
    }

    @Test("a VM the state does not know is reported as unmanaged, and left alone", arguments: StateBackendUnderTest.all)
    func unmanaged(_ backend: StateBackendUnderTest) throws {
        let bed = try TestBed(backend)
        defer { bed.stop() }
        let firm = bed.firm
        firm.write("lab.json", Blueprints.lab())
        #expect(try bed.run(["apply", "lab.json", "--auto-approve"]).code == 0)
        #expect(try bed.run(["state", "rm", "lab.json", "app.web"]).code == 0)
        let drift = try bed.run(["drift", "lab.json", "--json", "--junit", "drift.xml"])
        #expect(drift.code == 2)
        let report = try JSONReader.parse(drift.stdout).plain
        let items = report["items"]?.arrayValue ?? []
        #expect(items.map { $0["kind"]?.stringValue } == ["unmanaged"])
        #expect(items.first?["target"]?.stringValue?.hasPrefix("vm.web__") == true)
        #expect(report["pending"]?.arrayValue?.first?["target"] == "app.web")
        #expect(try junitFailures(firm, "drift.xml").failures == 1)
    }

    @Test("a blueprint change not yet applied is pending, not drift", arguments: StateBackendUnderTest.all)
    func pendingIsNotDrift(_ backend: StateBackendUnderTest) throws {
        let bed = try TestBed(backend)
        defer { bed.stop() }
        let firm = bed.firm
        firm.write("lab.json", Blueprints.lab())
        #expect(try bed.run(["apply", "lab.json", "--auto-approve"]).code == 0)
        firm.write("lab.json", Blueprints.lab(webPower: "off", extraApps: #", "cache": {"deploymentPath": {"provider": "sim", "deploymentType": "redis"}}"#))
        let drift = try bed.run(["drift", "lab.json", "--json", "--junit", "drift.xml"])
        #expect(drift.code == 0, "\(drift.output)")
        let report = try JSONReader.parse(drift.stdout).plain
        #expect(report["inSync"] == true)
        #expect(report["items"] == [])
        let pending = (report["pending"]?.arrayValue ?? []).map { "\($0["action"]?.stringValue ?? "?") \($0["target"]?.stringValue ?? "?")" }
        #expect(pending == ["deploy app.cache", "powerOff app.web"])
        #expect(try junitFailures(firm, "drift.xml").failures == 0)
        #expect(try bed.run(["drift", "lab.json", "--fail-on-pending"]).code == 5)
        let github = try bed.run(["drift", "lab.json", "--github"])
        #expect(github.stdout.contains("::notice file=lab.json,title=pending%3A app.cache::deploy"))
    }

    @Test("drift is read-only: it does not wait for or take a held lock, and writes nothing, even when it finds drift",
          arguments: StateBackendUnderTest.all)
    func driftIsReadOnly(_ backend: StateBackendUnderTest) async throws {
        let bed = try TestBed(backend)
        defer { bed.stop() }
        let firm = bed.firm
        firm.write("lab.json", Blueprints.lab())
        #expect(try bed.run(["apply", "lab.json", "--auto-approve"]).code == 0)
        #expect(try bed.run(["sim", "lab.json", "stop", "api"]).code == 0)
        let lock = try await bed.lock("lab", operation: "apply")
        // The lock (a file, or a key) changes with our own lock and release; nothing else may.
        var before = HostileFileTests.snapshot(firm)
        before[firm.path("state/lab.state.json.lock")] = nil
        let storedBefore = try bed.stored(lock: false)
        let drift = try bed.run(["drift", "lab.json", "--json"])
        #expect(drift.code == 2, "it ran while the lock was held: \(drift.output)")
        #expect(bed.isLocked("lab"), "it did not break the lock")
        await bed.release(lock)
        var after = HostileFileTests.snapshot(firm)
        after[firm.path("state/lab.state.json.lock")] = nil
        #expect(after == before, "drift wrote no file")
        #expect(try bed.stored(lock: false) == storedBefore, "drift wrote nothing to the state")
    }

    @Test("firm refresh records what the providers report and changes nothing in the world", arguments: StateBackendUnderTest.all)
    func refresh(_ backend: StateBackendUnderTest) async throws {
        let bed = try TestBed(backend)
        defer { bed.stop() }
        let firm = bed.firm
        firm.write("lab.json", Blueprints.lab())
        #expect(try bed.run(["apply", "lab.json", "--auto-approve"]).code == 0)
        #expect(try bed.run(["sim", "lab.json", "set-ip", "web", "10.9.0.201"]).code == 0)
        #expect(try bed.run(["sim", "lab.json", "stop", "api"]).code == 0)
        let result = try bed.run(["refresh", "lab.json"])
        #expect(result.code == 0)
        #expect(result.stdout.contains("app.web: address"))
        let state = try await bed.state("lab")
        #expect(state.apps["web"]?.address == "10.9.0.201")
        #expect(state.apps["api"]?.power == .off)
        let world = try await SimulatedCloud(name: "sim", settings: SimulatedSettings(), baseDirectory: firm.directory).allVMs()
        #expect(world.first { $0.app == "api" }?.status == .stopped)
        #expect(try bed.run(["drift", "lab.json"]).code == 0)
    }

    // The two reconcile tests run on local files only: with a shared state (etcd), reconcile
    // runs as a fleet of replicas, another loop, tested in EtcdReconcileTests.
    @Test("reconcile fixes an out-of-band stop within one cycle and exits cleanly on SIGTERM")
    func reconcile() async throws {
        let bed = try TestBed(.local)
        defer { bed.stop() }
        let firm = bed.firm
        firm.write("lab.json", Blueprints.lab())
        #expect(try bed.run(["apply", "lab.json", "--auto-approve"]).code == 0)
        let (process, out, err) = try bed.start(["reconcile", "lab.json", "--every", "300ms"])
        // The stop comes after the first cycle, which found nothing to do.
        #expect(waitUntil { out.soFar.contains("cycle 1:") || err.soFar.contains("cycle 1:") }, "\(out.soFar) \(err.soFar)")
        #expect(try bed.run(["sim", "lab.json", "stop", "web"]).code == 0)
        let fixed = waitUntil { Torture.worldVMs(firm).values.contains { $0["app"] == "web" && $0["status"] == "running" } }
        #expect(fixed)
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        let output = out.text() + err.text()
        #expect(process.terminationStatus == 0, "\(output)")
        #expect(output.contains("applied 2 actions"))
        #expect(output.contains("stopped after"))
        await bed.release(try await bed.lock("lab"))
    }

    @Test("reconcile backs off on errors, and exits 1 when its last cycle failed")
    func reconcileBackoff() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("lab.json", Blueprints.lab(failures: #"{"deploy": ["api"]}"#))
        let result = try firm.run(["reconcile", "lab.json", "--every", "100ms", "--max-cycles", "3"], environment: Blueprints.secretEnv)
        #expect(result.code == 1, "the last cycle failed")
        #expect(result.stdout.contains("the last one failed"))
        let lines = result.stdout.split(separator: "\n")
        // The injected failure is terminal: the wait grows eightfold (100ms, 800ms, ...), not twofold.
        #expect(lines.filter { $0.contains("terminal error:") && $0.contains("retrying in 800ms") }.count == 1, "\(result.stdout)")
        #expect(lines.filter { $0.contains("retrying in 6.40s") }.count == 1)
    }
}
