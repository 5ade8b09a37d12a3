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

@Suite("End to end: connectivity", .serialized)
struct ConnectivityTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func example(_ name: String) throws -> String {
        try String(contentsOf: Self.root.appendingPathComponent("blueprints/\(name)"), encoding: .utf8)
    }

    func world(_ firm: FirmProcess, _ provider: String, _ connectivity: Connectivity) throws -> SimulatedCloud {
        try SimulatedCloud(name: provider, settings: SimulatedSettings(), connectivity: connectivity, baseDirectory: firm.directory)
    }

    func actionIds(_ output: String) throws -> [String] {
        (try JSONReader.parse(output).plain["actions"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue }
    }

    @Test("the three-tier L2 lab: apply, change, apply, destroy; no VM or VLAN membership is left")
    func l2Lifecycle() async throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        let text = try example("three-tier-l2.json")
        firm.write("lab.json", text)
        let apply = try firm.run(["apply", "lab.json", "--auto-approve"])
        #expect(apply.code == 0, "\(apply.output)")
        let cloud = try world(firm, "lab", .l2)
        var vms = try await cloud.allVMs()
        #expect(vms.first { $0.app == "web" }?.vlans.keys.sorted() == [120])
        #expect(vms.first { $0.app == "app" }?.vlans.keys.sorted() == [100, 120])
        #expect(vms.first { $0.app == "db" }?.vlans.keys.sorted() == [100])
        #expect(try firm.run(["plan", "lab.json", "--detailed-exitcode"]).code == 0)

        // Move db from the auto VLAN to the fixed one, and give backend a fixed VLAN.
        let changed = text.replacingOccurrences(of: #""backend": { "provider": "lab", "vlan": "auto" }"#, with: #""backend": { "provider": "lab", "vlan": 150 }"#)
        #expect(changed != text)
        firm.write("lab.json", changed)
        let plan = try firm.run(["plan", "lab.json", "--json"])
        #expect(Set(try actionIds(plan.stdout)) == ["disconnect:app.app:network.backend", "connect:app.app:network.backend",
                                                     "disconnect:app.db:network.backend", "connect:app.db:network.backend"])
        #expect(try firm.run(["apply", "lab.json", "--auto-approve"]).code == 0)
        vms = try await cloud.allVMs()
        #expect(vms.first { $0.app == "db" }?.vlans.keys.sorted() == [150])
        #expect(try firm.run(["plan", "lab.json", "--detailed-exitcode"]).code == 0)

        let destroy = try firm.run(["destroy", "lab.json", "--auto-approve"])
        #expect(destroy.code == 0, "\(destroy.output)")
        #expect(try await cloud.allVMs().isEmpty)
        let state = try JSONReader.parse(firm.read("state/three-tier.state.json")!).plain
        #expect(state["networks"] == .object(JSONObject()))
    }

    @Test("the L3 sandbox: prepare, apply, add a subnet, remove one, destroy; no VM, subnet or key is left")
    func l3Lifecycle() async throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        let text = try example("l3-sandbox.json")
        firm.write("sky.json", text)
        let apply = try firm.run(["apply", "sky.json", "--auto-approve"])
        #expect(apply.code == 0, "\(apply.output)")
        #expect(apply.stdout.contains("+ prepare provider.sky (cloud 10.40.0.0/16, subnets dmz, private, keys)"))
        let cloud = try world(firm, "sky", .l3)
        let infra = try await cloud.infra(sandbox: "l3-sandbox")
        #expect(infra?.subnets.count == 2)
        #expect(infra?.keys.isEmpty == false)
        let bastion = try await cloud.allVMs().first { $0.app == "bastion" }
        #expect(CIDR("10.40.1.0/24")!.contains(IPv4Address(bastion!.ip)!))
        #expect(!bastion!.publicIp.isEmpty)
        let show = try firm.run(["show", "sky.json", "--json"])
        #expect(!show.stdout.contains(infra!.keys))
        #expect(!(firm.read("state/l3-sandbox.state.json") ?? "").isEmpty)

        // Add a subnet for db and move it there; drop the dmz (bastion goes to the default subnet).
        var changed = text.replacingOccurrences(of: #""private": { "provider": "sky", "subnet": "10.40.2.0/24", "public": false }"#,
                                                with: #""private": { "provider": "sky", "subnet": "10.40.2.0/24", "public": false }, "data": { "provider": "sky", "subnet": "10.40.3.0/24" }"#)
        changed = changed.replacingOccurrences(of: #"{ "from": "db", "to": "private" }"#, with: #"{ "from": "db", "to": "data" }"#)
        changed = changed.replacingOccurrences(of: #""dmz": { "provider": "sky", "subnet": "10.40.1.0/24", "public": true },"#, with: "")
        changed = changed.replacingOccurrences(of: #"{ "from": "bastion", "to": "dmz" },"#, with: "")
        firm.write("sky.json", changed)
        let plan = try firm.run(["plan", "sky.json", "--json"])
        #expect(try actionIds(plan.stdout) == ["prepareInfra:provider.sky", "replace:app.bastion", "powerOn:app.bastion", "refreshIP:app.bastion",
                                               "replace:app.db", "powerOn:app.db", "cleanInfra:network.dmz"], "\(plan.output)")
        let second = try firm.run(["apply", "sky.json", "--auto-approve"])
        #expect(second.code == 0, "\(second.output)")
        #expect(try await cloud.infra(sandbox: "l3-sandbox")?.subnets.values.map(\.name).sorted() == ["data", "private"])
        #expect(try firm.run(["plan", "sky.json", "--detailed-exitcode"]).code == 0)

        let destroy = try firm.run(["destroy", "sky.json", "--auto-approve"])
        #expect(destroy.code == 0, "\(destroy.output)")
        #expect(try await cloud.allVMs().isEmpty)
        #expect(try await cloud.infra(sandbox: "l3-sandbox") == nil)
        let state = try JSONReader.parse(firm.read("state/l3-sandbox.state.json")!).plain
        #expect(state["infra"] == .object(JSONObject()))
        #expect(state["networks"] == .object(JSONObject()))
    }

    @Test("a VLAN membership removed out of band is drift, planned back and fixed")
    func connectivityDrift() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("lab.json", try example("three-tier-l2.json"))
        #expect(try firm.run(["apply", "lab.json", "--auto-approve"]).code == 0)
        #expect(try firm.run(["sim", "lab.json", "disconnect", "app", "backend"]).code == 0)
        let drift = try firm.run(["drift", "lab.json", "--json", "--junit", "drift.xml"])
        #expect(drift.code == 2)
        let items = try JSONReader.parse(drift.stdout).plain["items"]?.arrayValue ?? []
        #expect(items.count == 1)
        #expect(items.first?["kind"] == "connectivity")
        #expect(items.first?["target"] == "app.app")
        #expect(items.first?["fix"] == "connect")
        #expect(firm.read("drift.xml")?.contains("<failure type=\"connectivity\"") == true)
        #expect(try actionIds(firm.run(["plan", "lab.json", "--json"]).stdout) == ["connect:app.app:network.backend"])
        #expect(try firm.run(["apply", "lab.json", "--auto-approve"]).code == 0)
        #expect(try firm.run(["drift", "lab.json"]).code == 0)
    }

    @Test("an injected connectivity failure fails that connect and skips the app's power-on only")
    func connectivityFailure() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        let text = try example("three-tier-l2.json").replacingOccurrences(of: #""applyConnectivityChanges": "15ms" }"#,
                                                                         with: #""applyConnectivityChanges": "15ms" }, "failures": { "applyConnectivityChanges": ["db"] }"#)
        firm.write("lab.json", text)
        let result = try firm.run(["apply", "lab.json", "--auto-approve"])
        #expect(result.code == 1)
        #expect(result.stdout.contains("FAILED  ~ connect app.db → network.backend"))
        #expect(result.stdout.contains("skipped ~ power on app.db"))
        #expect(result.stdout.contains("done    ~ power on app.web"))
    }
}
