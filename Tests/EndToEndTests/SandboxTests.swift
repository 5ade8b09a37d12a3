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

/// Many live copies of one blueprint (`--sandbox`), the state found from the blueprint, no
/// duplicate VMs, and `firm import`.
@Suite("End to end: sandboxes", .serialized)
struct SandboxTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func example(_ name: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent("blueprints/\(name)"), encoding: .utf8)
    }

    /// The three-tier L2 lab with every network `auto`.
    static func allAuto() throws -> String {
        let text = try example("three-tier-l2.json")
        let changed = text.replacingOccurrences(of: #""vlan": 120"#, with: #""vlan": "auto""#)
        precondition(changed != text)
        return changed
    }

    func vms(_ firm: FirmProcess, home: String? = nil) async throws -> [SimulatedVM] {
        try await SimulatedCloud(name: "lab", settings: SimulatedSettings(), connectivity: .l2,
                                 baseDirectory: home.map(firm.path) ?? firm.directory).allVMs()
    }

    @Test("two sandboxes of an all-auto L2 blueprint applied at once get disjoint VLANs and VMs; drift is clean on both; destroying one leaves the other")
    func twoSandboxesAtOnce() async throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("lab.json", try Self.allAuto())
        let (a, aOut, aErr) = try firm.start(["apply", "lab.json", "--auto-approve", "--sandbox", "ci-1"])
        let aText = ReadBox(aOut.fileHandleForReading), aErrors = ReadBox(aErr.fileHandleForReading)
        let b = try firm.run(["apply", "lab.json", "--auto-approve"], environment: ["FIRM_SANDBOX": "ci-2"])
        a.waitUntilExit()
        #expect(a.terminationStatus == 0, "\(aText.text())\(aErrors.text())")
        #expect(b.code == 0, "\(b.output)")

        let all = try await vms(firm)
        let one = all.filter { $0.sandbox == "ci-1" }, two = all.filter { $0.sandbox == "ci-2" }
        #expect(one.count == 3 && two.count == 3 && all.count == 6)
        let vlansOne = Set(one.flatMap { $0.vlans.keys }), vlansTwo = Set(two.flatMap { $0.vlans.keys })
        #expect(vlansOne.count == 2 && vlansTwo.count == 2)
        #expect(vlansOne.isDisjoint(with: vlansTwo), "\(vlansOne) and \(vlansTwo)")
        #expect(firm.exists("state/ci-1.state.json") && firm.exists("state/ci-2.state.json"))

        for sandbox in ["ci-1", "ci-2"] {
            let drift = try firm.run(["drift", "lab.json", "--sandbox", sandbox])
            #expect(drift.code == 0, "drift of \(sandbox) is clean, and calls no other sandbox's VM unmanaged: \(drift.output)")
        }
        #expect(try firm.run(["destroy", "lab.json", "--auto-approve", "--sandbox", "ci-1"]).code == 0)
        let left = try await vms(firm)
        #expect(left.map(\.sandbox) == ["ci-2", "ci-2", "ci-2"])
        #expect(Set(left.flatMap { $0.vlans.keys }) == vlansTwo)
        #expect(try firm.run(["drift", "lab.json", "--sandbox", "ci-2"]).code == 0)
        #expect(try firm.run(["plan", "lab.json", "--sandbox", "ci-2", "--detailed-exitcode"]).code == 0)
        // ci-1's VLANs are free again: a new sandbox may take them.
        let pool = try #require(firm.read("state/vlan-pool.json"))
        #expect(!pool.contains("ci-1") && pool.contains("ci-2"))
    }

    @Test("a second sandbox of three-tier-l2.json is refused while the first holds its fixed VLAN 120, naming it")
    func fixedVLANTaken() async throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("lab.json", try Self.example("three-tier-l2.json"))
        #expect(try firm.run(["apply", "lab.json", "--auto-approve"]).code == 0)
        let plan = try firm.run(["plan", "lab.json", "--sandbox", "second"])
        #expect(plan.code == 1)
        #expect(plan.stderr.contains("network.frontend: VLAN 120 on provider lab is held by the live sandbox \"three-tier\""), "\(plan.output)")
        let apply = try firm.run(["apply", "lab.json", "--auto-approve", "--sandbox", "second"])
        #expect(apply.code == 1)
        #expect(try await vms(firm).count == 3, "nothing of the second sandbox was deployed")
        #expect(!firm.exists("state/second.state.json"))
        #expect(try firm.run(["destroy", "lab.json", "--auto-approve"]).code == 0)
        #expect(try firm.run(["apply", "lab.json", "--auto-approve", "--sandbox", "second"]).code == 0, "with the first gone, VLAN 120 is free")
    }

    @Test("the state is found from the blueprint from any folder; with it moved away, apply refuses duplicates and import --all recovers")
    func otherFolderAndImport() async throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("repo/state/README", "states live here\n")
        firm.write("repo/blueprints/lab.json", try Self.example("three-tier-l2.json"))
        firm.write("elsewhere/.keep", "")
        let apply = try firm.run(["apply", "blueprints/lab.json", "--auto-approve"], in: "repo")
        #expect(apply.code == 0, "\(apply.output)")
        #expect(firm.exists("repo/state/three-tier.state.json"))
        #expect(!firm.exists("repo/blueprints/state"))

        let plan = try firm.run(["plan", "../repo/blueprints/lab.json", "--detailed-exitcode", "-v"], in: "elsewhere")
        #expect(plan.code == 0, "the same state is found from another folder: \(plan.output)")
        #expect(plan.stderr.contains("state: \(firm.path("repo/state/three-tier.state.json"))"), "\(plan.stderr)")
        #expect(!firm.exists("elsewhere/state"))
        let show = try firm.run(["show", "../repo/blueprints/lab.json"], in: "elsewhere")
        #expect(show.stdout.contains("State at \(firm.path("repo/state/three-tier.state.json"))"))

        // The state goes missing: a deploy would duplicate every VM.
        try FileManager.default.moveItem(atPath: firm.path("repo/state"), toPath: firm.path("moved"))
        try FileManager.default.createDirectory(atPath: firm.path("repo/state"), withIntermediateDirectories: true)
        let refused = try firm.run(["apply", "../repo/blueprints/lab.json", "--auto-approve"], in: "elsewhere")
        #expect(refused.code == 1)
        #expect(refused.stderr.contains("firm import"), "\(refused.output)")
        #expect(refused.stderr.contains("app.web: VM web__"))
        #expect(try await vms(firm, home: "repo").count == 3, "no duplicate was deployed")
        #expect(try firm.run(["plan", "repo/blueprints/lab.json"]).code == 1, "plan refuses too")

        let imported = try firm.run(["import", "repo/blueprints/lab.json", "--all"])
        #expect(imported.code == 0, "\(imported.output)")
        #expect(imported.stdout.components(separatedBy: "Imported app.").count == 4)
        let after = try firm.run(["plan", "repo/blueprints/lab.json", "--detailed-exitcode"])
        #expect(after.code == 0, "after the import the plan shows only real differences, here none: \(after.output)")
        #expect(try await vms(firm, home: "repo").count == 3)
    }

    @Test("import adopts one VM by name or uuid after checking it exists, and refuses what it can't adopt")
    func importOne() async throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("lab.json", try Self.example("three-tier-l2.json"))
        #expect(try firm.run(["apply", "lab.json", "--auto-approve"]).code == 0)
        let web = try #require(try await vms(firm).first { $0.app == "web" })
        #expect(try firm.run(["state", "rm", "lab.json", "app.web"]).code == 0)
        #expect(try firm.run(["plan", "lab.json"]).code == 1, "the unrecorded web VM blocks its deploy")

        let unknown = try firm.run(["import", "lab.json", "app.web", "no-such-vm"])
        #expect(unknown.code == 1)
        #expect(unknown.stderr.contains("has no VM named \"no-such-vm\""))
        let wrongApp = try firm.run(["import", "lab.json", "app.nope", web.vmName])
        #expect(wrongApp.code == 1 && wrongApp.stderr.contains("app.nope is not in the blueprint"))
        let taken = try firm.run(["import", "lab.json", "app.db", web.vmName])
        #expect(taken.code == 1 && taken.stderr.contains("already recorded"))

        let byUuid = try firm.run(["import", "lab.json", "app.web", web.vmUuid])
        #expect(byUuid.code == 0, "\(byUuid.output)")
        #expect(try firm.run(["plan", "lab.json", "--detailed-exitcode"]).code == 0)
        #expect(try firm.run(["state", "rm", "lab.json", "app.web"]).code == 0)
        #expect(try firm.run(["import", "lab.json", "app.web", web.vmName]).code == 0)
        #expect(try firm.run(["plan", "lab.json", "--detailed-exitcode"]).code == 0)
    }

    @Test("a sandbox name that breaks the name rule is refused from --sandbox and from FIRM_SANDBOX, and nothing is written")
    func badSandboxName() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("lab.json", try Self.example("quickstart.json"))
        let flag = try firm.run(["plan", "lab.json", "--sandbox", "../evil"])
        #expect(flag.code == 1 && flag.stderr.contains("--sandbox: \"../evil\" is not a valid sandbox name"), "\(flag.output)")
        let env = try firm.run(["apply", "lab.json", "--auto-approve"], environment: ["FIRM_SANDBOX": "a/b", "QUICKSTART_DB_PASSWORD": "x"])
        #expect(env.code == 1 && env.stderr.contains("FIRM_SANDBOX: \"a/b\" is not a valid sandbox name"), "\(env.output)")
        #expect(!firm.exists("state"))
    }

    @Test("a state link that points at nothing is refused, naming it, and nothing is deployed or written")
    func danglingStateLink() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("lab/lab.json", try Self.example("quickstart.json"))
        try FileManager.default.createSymbolicLink(atPath: firm.path("lab/state"), withDestinationPath: firm.path("gone/state"))
        for args in [["plan", "lab/lab.json"], ["apply", "lab/lab.json", "--auto-approve"], ["sandboxes"]] {
            let run = try firm.run(args, environment: ["QUICKSTART_DB_PASSWORD": "x"], in: "lab")
            #expect(run.code == 1, "\(args): \(run.output)")
            #expect(run.stderr.contains("lab/state is a symbolic link to") && run.stderr.contains("which does not exist"), "\(args): \(run.stderr)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: firm.path("lab")).sorted() == ["lab.json", "state"], "nothing was written")
        #expect(!firm.exists("gone") && !firm.exists(".firm") && !firm.exists("lab/.firm"))
    }
}

extension SandboxTests {
    @Test("an apply refused after planning (a missing secret) gives its VLAN reservation back")
    func refusedApplyReleasesVLANs() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        let text = try Self.allAuto().replacingOccurrences(of: #""attributes": { "User": "www" }"#, with: #""attributes": { "User": "www", "Password": {"env": "WEB_PW"} }"#)
        #expect(text.contains("WEB_PW"))
        firm.write("lab.json", text)
        let refused = try firm.run(["apply", "lab.json", "--auto-approve"], unset: ["WEB_PW"])
        #expect(refused.code == 1 && refused.stderr.contains("WEB_PW"), "\(refused.output)")
        #expect(try #require(firm.read("state/vlan-pool.json"), "the plan reserved in the pool").contains("three-tier") == false, "nothing stays reserved")
        #expect(try firm.run(["apply", "lab.json", "--auto-approve"], environment: ["WEB_PW": "x"]).code == 0)
        #expect(try #require(firm.read("state/vlan-pool.json")).contains("three-tier"))
    }
}
