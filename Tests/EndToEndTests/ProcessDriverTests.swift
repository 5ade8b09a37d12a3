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

@Suite("End to end: process drivers", .serialized)
struct ProcessDriverTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let reference = root.appendingPathComponent("examples/drivers/filecloud.py").path
    static let misbehaving = root.appendingPathComponent("Tests/EndToEndTests/Fixtures/misbehaving_driver.py").path

    static func blueprint(driver: String = reference, connectivity: String = "L2", settings: String = "", timeouts: String = "{}",
                          webPower: String = "on") -> String {
        let networks = connectivity == "L2"
            ? #""back": {"provider": "fc", "vlan": "auto"}"#
            : #""priv": {"provider": "fc", "subnet": "10.80.2.0/24"}"#
        let network = connectivity == "L2" ? "back" : "priv"
        return """
            {"version": 1, "name": "plab",
             "providers": {"fc": {"type": "process", "connectivity": "\(connectivity)", "command": ["python3", "\(driver)"],
                                  "settings": {"stateFile": "cloud.json", "connectivity": "\(connectivity)", "token": {"env": "FC_TOKEN"}\(settings)},
                                  "timeouts": \(timeouts)}},
             "apps": {"api": {"deploymentPath": {"provider": "fc", "deploymentType": "small"}},
                      "db": {"deploymentPath": {"provider": "fc", "deploymentType": "pg"}, "waitForIP": false},
                      "web": {"deploymentPath": {"provider": "fc", "deploymentType": "small"}, "power": "\(webPower)"}},
             "networks": {\(networks)},
             "connectors": [{"from": "db", "to": "\(network)"}, {"from": "api", "to": "\(network)"}]}
            """
    }

    static let env = ["FC_TOKEN": "token-very-secret-42"]

    func cloud(_ firm: FirmProcess) throws -> JSON {
        try JSONReader.parse(firm.read("cloud.json") ?? "{}").plain
    }

    @Test("the reference Python driver goes through the whole lifecycle: apply, connect, power, drift, destroy", arguments: ["L2", "L3"])
    func lifecycle(_ connectivity: String) throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("lab.json", Self.blueprint(connectivity: connectivity))
        let apply = try firm.run(["apply", "lab.json", "--auto-approve", "-v"], environment: Self.env)
        #expect(apply.code == 0, "\(apply.output)")
        #expect(apply.stderr.contains("driver: [fc] filecloud: started"), "-v shows the driver's stderr")
        #expect(!apply.output.contains("token-very-secret-42"))
        var vms = try cloud(firm)["vms"]?.objectValue?.members.map(\.value) ?? []
        #expect(vms.count == 3)
        if connectivity == "L2" {
            #expect(vms.first { $0["app"] == "db" }?["vlans"]?.objectValue?.count == 1)
        } else {
            #expect(try cloud(firm)["infra"]?["plab"]?["subnets"]?.objectValue?.count == 1)
        }
        #expect(try firm.run(["plan", "lab.json", "--detailed-exitcode"], environment: Self.env).code == 0)

        firm.write("lab.json", Self.blueprint(connectivity: connectivity, webPower: "off"))
        #expect(try firm.run(["apply", "lab.json", "--auto-approve"], environment: Self.env).code == 0)
        vms = try cloud(firm)["vms"]?.objectValue?.members.map(\.value) ?? []
        #expect(vms.first { $0["app"] == "web" }?["status"] == "stopped")

        // Out of band: stop api in the driver's own file.
        var data = try cloud(firm)
        if case .object(var vmsObject)? = data["vms"], let key = vmsObject.keys.first(where: { vmsObject[$0]?["app"] == "api" }),
           case .object(var api)? = vmsObject[key] {
            api["status"] = "stopped"
            vmsObject[key] = .object(api)
            if case .object(var root) = data { root["vms"] = .object(vmsObject); data = .object(root) }
        }
        firm.write("cloud.json", data.prettyText)
        let drift = try firm.run(["drift", "lab.json", "--json"], environment: Self.env)
        #expect(drift.code == 2, "\(drift.output)")
        #expect(try JSONReader.parse(drift.stdout).plain["items"]?.arrayValue?.first?["kind"] == "power")
        #expect(try firm.run(["apply", "lab.json", "--auto-approve"], environment: Self.env).code == 0)
        #expect(try firm.run(["drift", "lab.json"], environment: Self.env).code == 0)

        let destroy = try firm.run(["destroy", "lab.json", "--auto-approve"], environment: Self.env)
        #expect(destroy.code == 0, "\(destroy.output)")
        #expect(try cloud(firm)["vms"] == .object(JSONObject()))
        #expect(try cloud(firm)["infra"] == .object(JSONObject()))
    }

    struct Misbehavior: CustomStringConvertible, Sendable {
        var how: String
        var message: String
        var description: String { how }
    }

    static let misbehaviors: [Misbehavior] = [
        Misbehavior(how: "crash", message: "exited with status 3 before answering deploy"),
        Misbehavior(how: "garbage", message: "wrote a line that is not JSON: this is not JSON"),
        Misbehavior(how: "wrongShape", message: "answered deploy with the wrong shape"),
        Misbehavior(how: "unknownId", message: "did not answer deploy within 1.00s"),
        Misbehavior(how: "hang", message: "did not answer deploy within 1.00s"),
        Misbehavior(how: "flood", message: "flooded stdout"),
    ]

    @Test("a misbehaving driver fails only the affected action, names the driver, keeps every result, and is restarted", arguments: misbehaviors)
    func misbehavior(_ m: Misbehavior) throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("lab.json", Self.blueprint(driver: Self.misbehaving, settings: #", "misbehave": "deploy:db=\#(m.how)""#, timeouts: #"{"deploy": "1s"}"#))
        let result = try firm.run(["apply", "lab.json", "--auto-approve", "--parallelism", "1"], environment: Self.env)
        #expect(result.code == 1)
        #expect(result.stdout.contains("FAILED  + deploy app.db"), "\(result.output)")
        #expect(result.stdout.contains(m.message), "\(result.output)")
        #expect(result.stdout.contains("driver filecloud (python3"), "the message names the driver")
        #expect(result.stdout.contains("done    + deploy app.api") && result.stdout.contains("done    + deploy app.web"), "\(result.output)")
        #expect(result.stdout.contains("skipped ~ connect app.db"))
        let state = try JSONReader.parse(firm.read("state/plab.state.json")!).plain
        #expect(state["apps"]?["api"]?["power"] == "on")
        #expect(state["apps"]?["web"]?["power"] == "on")
        if m.how == "crash" { #expect(result.stdout.contains("misbehaving: crashing on purpose"), "the driver's last stderr lines are shown") }
        if m.how == "hang" { #expect(firm.read("cancels.log")?.isEmpty == false, "the driver was sent $/cancel for the request it never answered") }

        firm.write("lab.json", Self.blueprint(driver: Self.misbehaving))
        let again = try firm.run(["apply", "lab.json", "--auto-approve"], environment: Self.env)
        #expect(again.code == 0, "\(again.output)")
        #expect(try firm.run(["plan", "lab.json", "--detailed-exitcode"], environment: Self.env).code == 0)
    }

    @Test("a missing secret for the driver: plan notes it without starting the driver, apply refuses naming it, and a set one never reaches its command line")
    func secrets() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("lab.json", Self.blueprint(driver: Self.misbehaving))
        // Nothing is recorded on the provider yet, so a plan does not start its driver: it
        // says which variable apply will need, and plans.
        let plan = try firm.run(["plan", "lab.json"], unset: ["FC_TOKEN"])
        #expect(plan.code == 0, "\(plan.output)")
        #expect(plan.stderr.contains("note: provider.fc was not asked anything: its settings need FC_TOKEN, which is not set; apply will need it"), "\(plan.stderr)")
        #expect(plan.stdout.contains("+ deploy app.api"), "\(plan.stdout)")
        #expect(!firm.exists("argv.txt"), "the driver was not started")
        let result = try firm.run(["apply", "lab.json", "--auto-approve"], unset: ["FC_TOKEN"])
        #expect(result.code == 1)
        #expect(result.output.contains("environment variable FC_TOKEN is not set (settings.token needs it)"), "\(result.output)")
        #expect(!firm.exists("state/plab.state.json") && !firm.exists("cloud.json"), "nothing was written")
        let ok = try firm.run(["apply", "lab.json", "--auto-approve"], environment: Self.env)
        #expect(ok.code == 0, "\(ok.output)")
        let argv = try #require(firm.read("argv.txt"), "the driver records its command line")
        #expect(argv.contains("misbehaving_driver.py"))
        #expect(!argv.contains("token-very-secret-42"))
    }

    @Test("a driver whose connectivity differs from the blueprint's is refused")
    func connectivityMismatch() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        let text = Self.blueprint().replacingOccurrences(of: #""connectivity": "L2", "token""#, with: #""connectivity": "L3", "token""#)
        firm.write("lab.json", text)
        let result = try firm.run(["apply", "lab.json", "--auto-approve"], environment: Self.env)
        #expect(result.code == 1)
        #expect(result.output.contains("says its connectivity is \"L3\"; the blueprint says L2"), "\(result.output)")
    }

    @Test("firm driver check passes the reference driver, on L2 and L3, and reports a broken one")
    func conformance() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        for c in ["L2", "L3"] {
            let good = try firm.run(["driver", "check", "--connectivity", c, "--setting", "stateFile=check.json", "--", "python3", Self.reference])
            #expect(good.code == 0, "\(good.output)")
            #expect(good.stdout.contains(" passed, 0 failed"))
        }
        // Present but empty, as shells read them: KEY= is an empty value, not a usage error.
        let empty = try firm.run(["driver", "check", "--setting", "misbehave=", "--deployment-attribute", "check.Note=", "--", "python3", Self.misbehaving])
        #expect(empty.code == 0, "\(empty.output)")
        #expect(try firm.run(["driver", "check", "--setting", "=x", "--", "python3", Self.misbehaving]).code == 64, "a key can't be empty")
        let bad = try firm.run(["driver", "check", "--setting", "misbehave=powerOn:check=wrongShape,delete:check=crash", "--", "python3", Self.misbehaving])
        #expect(bad.code == 1)
        #expect(bad.stdout.contains("FAIL  delete removes the VM"))
        #expect(bad.stdout.contains("FAIL  powerOn, then observe says on"), "a powerOn that did nothing is caught")
        #expect(bad.stdout.contains("PASS  deploy creates the VM"))
    }
}
