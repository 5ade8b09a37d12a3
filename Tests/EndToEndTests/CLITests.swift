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

@Suite("End to end: CLI")
struct CLITests {
    @Test("a bad blueprint lists every problem with file, line, column and path, exits 1 and writes nothing")
    func badBlueprint() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("bad.json", """
            {"version": 1, "name": "lab",
             "providers": {"sim": {"type": "simulated"}},
             "apps": {"web": {"deploymentPth": {}},
                      "db": {"deploymentPath": {"provider": "simm", "deploymentType": "x"}}}}
            """)
        for command in [["validate", "bad.json"], ["plan", "bad.json"], ["apply", "bad.json", "--auto-approve"]] {
            let result = try firm.run(command)
            #expect(result.code == 1, "\(command)")
            #expect(result.stderr.contains("bad.json:3:19: apps.web.deploymentPth: unknown key (did you mean deploymentPath?)"))
            #expect(result.stderr.contains("bad.json:4:49: apps.db.deploymentPath.provider: unknown provider \"simm\" (did you mean sim?)"))
        }
        #expect(!firm.exists("state/lab.state.json"))
        #expect(!firm.exists(".firm"))
    }

    @Test("validate --json reports problems as data")
    func validateJSON() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("bad.json", "{\"version\": 1}")
        let result = try firm.run(["validate", "bad.json", "--json"])
        #expect(result.code == 1)
        let json = try JSONReader.parse(result.stdout).plain
        #expect(json["valid"] == false)
        #expect((json["problems"]?.arrayValue?.count ?? 0) >= 3)
    }

    @Test("a missing file and a directory are clear errors")
    func unreadable() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        let missing = try firm.run(["plan", "nope.json"])
        #expect(missing.code == 1)
        #expect(missing.stderr.contains("nope.json: cannot read the blueprint"))
        let dir = try firm.run(["validate", "."])
        #expect(dir.code == 1)
        #expect(dir.stderr.contains("it is a directory"))
    }

    @Test("usage errors exit 64 with the usage text", arguments: [
        ["plan"], ["plan", "a.json", "b.json"], ["plan", "a.json", "--bogus"], ["apply", "a.json", "--parallelism", "0"],
        ["frobnicate"], [], ["state"], ["apply", "a.json", "--lock-timeout", "soon"], ["plan", "a.json", "--state", ""], ["apply", "a.json", "--state="],
    ])
    func usageErrors(_ arguments: [String]) throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        let result = try firm.run(arguments)
        #expect(result.code == 64, "\(arguments): \(result.output)")
        #expect(result.stderr.contains("Usage:"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: firm.directory).isEmpty, "nothing is written, not even hidden files")
    }

    @Test("apply without --auto-approve refuses when stdin is not a terminal")
    func needsApproval() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("lab.json", Blueprints.lab())
        let result = try firm.run(["apply", "lab.json"])
        #expect(result.code == 64)
        #expect(result.stderr.contains("--auto-approve"))
    }

    @Test("every command has help, the same through help and --help", arguments: [
        "validate", "plan", "apply", "destroy", "show", "drift", "refresh", "reconcile", "state", "force-unlock", "sim", "driver", "version", "help",
    ])
    func help(_ command: String) throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        let viaHelp = try firm.run(["help", command])
        let viaFlag = try firm.run([command, "--help"])
        #expect(viaHelp.code == 0)
        #expect(viaFlag.code == 0)
        #expect(viaHelp.stdout.contains("Usage: firm \(command)"))
        #expect(viaHelp.stdout == viaFlag.stdout)
        let overview = try firm.run(["help"])
        #expect(overview.stdout.contains("  \(command) "), "the overview lists \(command)")
    }

    @Test("state show masks secrets and state rm forgets an app")
    func stateCommands() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("lab.json", Blueprints.lab())
        #expect(try firm.run(["apply", "lab.json", "--auto-approve"], environment: Blueprints.secretEnv).code == 0)
        let list = try firm.run(["state", "list", "lab.json"])
        #expect(list.stdout == "app.api\napp.db\napp.web\n")
        let show = try firm.run(["state", "show", "lab.json", "app.db"])
        #expect(show.code == 0)
        #expect(try JSONReader.parse(show.stdout).plain["attributes"]?["Password"] == ["env": "LAB_DB_PASSWORD"])
        let rm = try firm.run(["state", "rm", "app.web", "--state", "state/lab.state.json"])
        #expect(rm.code == 0, "\(rm.output)")
        #expect(try firm.run(["state", "list", "--state", "state/lab.state.json"]).stdout == "app.api\napp.db\n")
        #expect(try firm.run(["state", "show", "lab.json", "app.web"]).code == 1)
        #expect(try firm.run(["state", "rm", "lab.json", "app/../x"]).code == 64)
    }

    @Test("state rm provider.NAME forgets a provider's sandbox infrastructure and its subnets after a warning, once its apps are gone")
    func stateRemoveProvider() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("l3.json", try String(contentsOf: ProcessDriverTests.root.appendingPathComponent("blueprints/l3-sandbox.json"), encoding: .utf8))
        let apply = try firm.run(["apply", "l3.json", "--auto-approve"])
        #expect(apply.code == 0, "\(apply.output)")
        let listed = try firm.run(["state", "list", "l3.json"]).stdout.split(separator: "\n").map(String.init)
        #expect(listed.contains("provider.sky") && listed.contains("network.dmz"), "\(listed)")
        let refused = try firm.run(["state", "rm", "l3.json", "provider.sky"])
        #expect(refused.code == 1 && refused.stderr.contains("still has apps in the state"), "\(refused.output)")
        for app in listed where app.hasPrefix("app.") {
            #expect(try firm.run(["state", "rm", "l3.json", app]).code == 0)
        }
        let rm = try firm.run(["state", "rm", "l3.json", "provider.sky"])
        #expect(rm.code == 0, "\(rm.output)")
        #expect(rm.stderr.contains("warning: forgetting provider.sky's sandbox infrastructure") && rm.stderr.contains("subnets dmz="), "\(rm.stderr)")
        #expect(try firm.run(["state", "list", "l3.json"]).stdout.isEmpty, "no provider and no subnet of it is left in the state")
        #expect(try firm.run(["state", "rm", "l3.json", "provider.sky"]).code == 1, "a second rm: it is not in the state")
        #expect(try firm.run(["state", "rm", "l3.json", "network.dmz"]).code == 64, "a network is not forgotten this way")
    }

    @Test("--state puts the state where it is told")
    func statePath() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("lab.json", Blueprints.lab())
        let result = try firm.run(["apply", "lab.json", "--auto-approve", "--state", "elsewhere/lab.json"], environment: Blueprints.secretEnv)
        #expect(result.code == 0)
        #expect(firm.exists("elsewhere/lab.json"))
        #expect(!firm.exists("state/lab.state.json"))
    }
}
