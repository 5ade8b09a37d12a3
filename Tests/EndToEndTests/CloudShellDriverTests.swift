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

/// Two drivers built on Quali's own libraries, with no field of firm's messages rewritten: one
/// written directly on cloudshell-cp-core (examples/drivers/cpcore_driver.py), and a 2nd-gen
/// shell class run unchanged through examples/cloudshell-host/host.py. They need the venv
/// scripts/test makes ($FIRM_CLOUDSHELL_PYTHON); under CI it must be there.
@Suite("End to end: CloudShell drivers on Quali's libraries", .serialized)
struct CloudShellDriverTests {
    static let root = ProcessDriverTests.root.path
    static let oob = "\(root)/Tests/EndToEndTests/Fixtures/filecloud_oob.py"

    enum Driver: String, CaseIterable, CustomStringConvertible {
        case cpCore = "cp-core driver", shell = "shell through the host"
        var description: String { rawValue }

        func command(_ python: String, _ connectivity: String) -> [String] {
            switch self {
            case .cpCore: [python, "\(root)/examples/drivers/cpcore_driver.py"]
            case .shell: [python, "\(root)/examples/cloudshell-host/host.py", "--model", "FileCloud", "--vm-networks",
                          "\(root)/examples/cloudshell-host/sample-shell/driver.py:FileCloud\(connectivity)ShellDriver"]
            }
        }

        /// The provider settings: the cp-core driver's own names, or the shell's resource attributes.
        var settings: String {
            switch self {
            case .cpCore: #""stateFile": "cloud.json", "cidr": "10.70.0.0/16""#
            case .shell: #""State File": "cloud.json", "CIDR": "10.70.0.0/16""#
            }
        }
    }

    static func blueprint(_ driver: Driver, _ python: String, _ connectivity: String, webPower: String = "on", webConnected: Bool = true,
                          bootDelay: String = "0") -> String {
        let command = driver.command(python, connectivity).map { "\"\($0)\"" }.joined(separator: ", ")
        let network = connectivity == "L2" ? #""back": {"provider": "fc", "vlan": "auto"}"# : #""back": {"provider": "fc", "subnet": "10.70.2.0/24"}"#
        let connectors = [#"{"from": "api", "to": "back"}"#] + (webConnected ? [#"{"from": "web", "to": "back"}"#] : [])
        return """
            {"version": 1, "name": "cslab",
             "providers": {"fc": {"type": "process", "connectivity": "\(connectivity)", "command": [\(command)],
                                  "settings": {\(driver.settings), "connectivity": "\(connectivity)"}, "timeouts": {"default": "30s"}}},
             "apps": {"api": {"deploymentPath": {"provider": "fc", "deploymentType": "FileCloud.VM",
                                                 "attributes": {"FileCloud.VM.Boot Delay": "\(bootDelay)"}},
                              "attributes": {"User": "admin", "Password": {"env": "API_PASSWORD"}}},
                      "web": {"deploymentPath": {"provider": "fc", "deploymentType": "FileCloud.VM"}, "power": "\(webPower)"}},
             "networks": {\(network)},
             "connectors": [\(connectors.joined(separator: ", "))]}
            """
    }

    static let env = ["API_PASSWORD": "pw-cloudshell-7731"]

    /// The sample cloud's VMs, by app tag.
    static func vms(_ firm: FirmProcess, _ python: String) throws -> [String: [JSON]] {
        let out = try Self.python(python, [oob, firm.path("cloud.json"), "dump"])
        var byApp: [String: [JSON]] = [:]
        for vm in try JSONReader.parse(out).plain["vms"]?.arrayValue ?? [] {
            byApp[vm["tags"]?["App"]?.stringValue ?? "", default: []].append(vm)
        }
        return byApp
    }

    static func python(_ python: String, _ arguments: [String]) throws -> String {
        try runChild(python, arguments).stdout
    }

    @Test("firm driver check passes both drivers, on L2 and L3", .enabled(if: CloudShellConformanceTests.required),
          arguments: Driver.allCases, ["L2", "L3"])
    func driverCheck(_ driver: Driver, _ connectivity: String) throws {
        let python = try #require(CloudShellConformanceTests.python, "scripts/test installs the CloudShell venv and sets FIRM_CLOUDSHELL_PYTHON")
        let firm = FirmProcess()
        defer { firm.remove() }
        let setting = driver == .cpCore ? "stateFile=cloud.json" : "State File=cloud.json"
        let check = try firm.run(["driver", "check", "--connectivity", connectivity, "--setting", setting, "--deployment-type", "FileCloud.VM", "--"]
                                 + driver.command(python, connectivity))
        #expect(check.code == 0, "\(check.output)")
        #expect(check.stdout.contains(" 0 failed"))
        #expect(check.stdout.contains(driver == .cpCore ? "vmNames given" : "vmNames own"))
        #expect(check.stdout.contains("PASS  saveApp saves the VM"), "both answer CloudShell's SaveApp: \(check.stdout)")
    }

    @Test("a full lifecycle with no field rewritten: apply, a no-op plan, drift after an out-of-band change, a connector removed, a power-off, destroy with nothing left",
          .enabled(if: CloudShellConformanceTests.required), arguments: Driver.allCases, ["L2", "L3"])
    func lifecycle(_ driver: Driver, _ connectivity: String) throws {
        let python = try #require(CloudShellConformanceTests.python, "scripts/test installs the CloudShell venv and sets FIRM_CLOUDSHELL_PYTHON")
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("lab.json", Self.blueprint(driver, python, connectivity))
        let apply = try firm.run(["apply", "lab.json", "--auto-approve"], environment: Self.env)
        #expect(apply.code == 0, "\(apply.output)")
        var vms = try Self.vms(firm, python)
        #expect(vms["api"]?.count == 1 && vms["web"]?.count == 1, "\(vms)")
        let apiName = vms["api"]?.first?["name"]?.stringValue ?? ""
        // The cp-core driver takes firm's name; the shell names the VM itself, as cp-core's NameGenerator does.
        #expect(driver == .cpCore ? apiName.hasPrefix("api__") : apiName.hasPrefix("api-"), "\(apiName)")
        for app in ["api", "web"] {
            let vm = vms[app]?.first
            #expect(vm?["power"] == "on", "\(app): \(String(describing: vm))")
            if connectivity == "L2" {
                #expect(vm?["vlans"]?.objectValue?.count == 1, "\(app) is on the VLAN")
            } else {
                #expect(vm?["subnets"]?.arrayValue?.count == 1, "\(app) is on the subnet")
            }
        }
        let show = try firm.run(["show", "lab.json"], environment: Self.env)
        #expect(show.stdout.contains(apiName), "the state records the name the driver gave")
        #expect(try firm.run(["plan", "lab.json", "--detailed-exitcode"], environment: Self.env).code == 0, "a second plan has nothing to do")

        // Out of band: the shell can't report power (CloudShell keeps it itself), so its VM is
        // deleted; the cp-core driver's is powered off.
        let change = driver == .shell ? "delete" : "off"
        _ = try Self.python(python, [Self.oob, firm.path("cloud.json"), change, "web"])
        let drift = try firm.run(["drift", "lab.json"], environment: Self.env)
        #expect(drift.code == 2, "\(drift.output)")
        #expect(drift.stdout.contains("app.web"), "\(drift.stdout)")
        let repair = try firm.run(["apply", "lab.json", "--auto-approve"], environment: Self.env)
        #expect(repair.code == 0, "\(repair.output)")
        #expect(try firm.run(["drift", "lab.json"], environment: Self.env).code == 0)

        // The web connector goes: a removeVlan on L2, a redeploy without the subnet on L3.
        firm.write("lab.json", Self.blueprint(driver, python, connectivity, webConnected: false))
        let unplug = try firm.run(["apply", "lab.json", "--auto-approve"], environment: Self.env)
        #expect(unplug.code == 0, "\(unplug.output)")
        vms = try Self.vms(firm, python)
        let web = vms["web"]?.first
        #expect(connectivity == "L2" ? web?["vlans"]?.objectValue?.isEmpty == true : web?["subnets"]?.arrayValue?.isEmpty == true, "\(String(describing: web))")
        #expect(vms["web"]?.count == 1 && vms["api"]?.count == 1)

        firm.write("lab.json", Self.blueprint(driver, python, connectivity, webPower: "off", webConnected: false))
        let off = try firm.run(["apply", "lab.json", "--auto-approve"], environment: Self.env)
        #expect(off.code == 0, "\(off.output)")
        #expect(try Self.vms(firm, python)["web"]?.first?["power"] == "off")

        let destroy = try firm.run(["destroy", "lab.json", "--auto-approve"], environment: Self.env)
        #expect(destroy.code == 0, "\(destroy.output)")
        let cloud = try JSONReader.parse(firm.read("cloud.json") ?? "{}").plain
        #expect(cloud["vms"]?.objectValue?.isEmpty == true, "no VM is left: \(cloud)")
        #expect(cloud["networks"]?.objectValue?.isEmpty ?? true, "no sandbox network is left: \(cloud)")
        let outputs = [apply, repair, unplug, off, destroy].map(\.output).joined()
        let saved = try #require(firm.read("state/cslab.state.json"))
        #expect(!outputs.contains("pw-cloudshell-7731") && !saved.contains("pw-cloudshell-7731"))
    }

    @Test("a shell names its VMs: firm killed mid-deploy, the host finishes and journals the deploy, and the next run adopts the VM, with no duplicate",
          .enabled(if: CloudShellConformanceTests.required))
    func killedMidDeployThroughHost() throws {
        let python = try #require(CloudShellConformanceTests.python, "scripts/test installs the CloudShell venv and sets FIRM_CLOUDSHELL_PYTHON")
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("lab.json", Self.blueprint(.shell, python, "L2", bootDelay: "2"))
        let (process, _, _) = try firm.start(["apply", "lab.json", "--auto-approve"], environment: Self.env)
        // The api VM exists in the cloud, but its deploy has not answered yet (it waits for boot).
        #expect(waitUntil { (firm.read("cloud.json") ?? "").contains("\"App\": \"api\"") })
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(waitUntil { (firm.read(".firm/cloudshell-host/fc.jsonl") ?? "").contains("\"appName\": \"api\"") }, "the host journals the deploy it finished")

        let plan = try firm.run(["plan", "lab.json"], environment: Self.env)
        #expect(plan.stdout.contains("adopted VM api-"), "\(plan.output)")
        let apply = try firm.run(["apply", "lab.json", "--auto-approve"], environment: Self.env)
        #expect(apply.code == 0, "\(apply.output)")
        let vms = try Self.vms(firm, python)
        #expect(vms["api"]?.count == 1, "one api VM, not two: \(vms)")
        #expect(vms["web"]?.count == 1)
        #expect(try firm.run(["plan", "lab.json", "--detailed-exitcode"], environment: Self.env).code == 0)
    }
}
