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

/// firm's messages handed to Quali's own CloudShell libraries, installed by scripts/test in a
/// venv at pinned versions ($FIRM_CLOUDSHELL_PYTHON names its python). Under CI the venv must
/// be there; a local run without it skips, and says so.
@Suite("End to end: CloudShell's libraries read firm's messages", .serialized)
struct CloudShellConformanceTests {
    static let python = ProcessInfo.processInfo.environment["FIRM_CLOUDSHELL_PYTHON"]
    static let required = ProcessInfo.processInfo.environment["CI"] == "true" || python != nil
    static let fixtures = ProcessDriverTests.root.appendingPathComponent("Tests/EndToEndTests/Fixtures").path

    /// Hands the requests of `method` that firm sent to Quali's parser for them, with the venv's python.
    static func parse(_ method: String, _ firm: FirmProcess, python: String) throws -> [JSON] {
        let run = try runChild(python, ["\(fixtures)/parse_with_cloudshell.py", method, firm.path("requests.jsonl")])
        #expect(run.status == 0, "the CloudShell library refused a request: \(run.stderr)")
        return try run.stdout.split(separator: "\n").map { try JSONReader.parse(String($0)).plain }
    }

    @Test("cloudshell-cp-core 2.5.4 parses every Deploy and PrepareSandboxInfra request; prepare carries one prepareCloudInfra and one createKeys even when only a subnet is added",
          .enabled(if: required, "skipped: FIRM_CLOUDSHELL_PYTHON is not set (scripts/test sets it up) and CI is not set"))
    func cpCoreParsesPrepareRequests() throws {
        let python = try #require(Self.python, "scripts/test installs the CloudShell venv and sets FIRM_CLOUDSHELL_PYTHON")
        let firm = FirmProcess()
        defer { firm.remove() }
        func blueprint(_ subnets: [String]) -> String {
            let networks = subnets.enumerated().map { #""\#($1)": {"provider": "fc", "subnet": "10.80.\#($0 + 1).0/24"}"# }.joined(separator: ", ")
            let connectors = subnets.map { #"{"from": "web", "to": "\#($0)"}"# }.joined(separator: ", ")
            return """
                {"version": 1, "name": "cs3", "providers": {"fc": {"type": "process", "connectivity": "L3",
                   "command": ["python3", "\(Self.fixtures)/recording_driver.py"],
                   "settings": {"stateFile": "cloud.json", "connectivity": "L3", "cidr": "10.80.0.0/16"}}},
                 "apps": {"web": {"deploymentPath": {"provider": "fc", "deploymentType": "small"}, "waitForIP": false}},
                 "networks": {\(networks)}, "connectors": [\(connectors)]}
                """
        }
        firm.write("lab.json", blueprint(["dmz"]))
        #expect(try firm.run(["apply", "lab.json", "--auto-approve"]).code == 0)
        firm.write("lab.json", blueprint(["dmz", "inner"]))
        let second = try firm.run(["apply", "lab.json", "--auto-approve"])
        #expect(second.code == 0, "\(second.output)")
        #expect(second.stdout.contains("+ prepare provider.fc (subnets inner)"), "the plan still says only the subnet is new")
        let requests = try Self.parse("prepareSandboxInfra", firm, python: python)
        #expect(requests.count == 2, "\(requests)")
        #expect(requests.allSatisfy { $0["cloud"] == "10.80.0.0/16" && $0["createKeys"] == .bool(true) }, "\(requests)")
        #expect(requests.first?["subnets"] == ["dmz"])
        #expect(requests.last?["subnets"] == ["inner"])
        let state = try StateStore.load(StatePaths(snapshot: firm.path("state/cs3.state.json")), blueprint: "cs3").state
        #expect(state.networks["inner"]?.subnetId?.isEmpty == false)
        #expect(state.infra["fc"]?.keys.isEmpty == false, "the keys are still recorded")

        // Both deploys (the first, and the replace onto two subnets) as cp-core reads them.
        let deploys = try Self.parse("deploy", firm, python: python)
        #expect(deploys.count == 2, "\(deploys)")
        #expect(deploys.allSatisfy { $0["appName"] == "web" && $0["deploymentPath"] == "small" })
        #expect(deploys.last?["subnets"]?.arrayValue?.count == 2)
        let subnet = deploys.first?["subnetAttributes"]?.arrayValue?.first
        #expect(subnet?["Allocated CIDR"] == "10.80.1.0/24")
        #expect(subnet?["Public"] == .bool(false), "cp-core reads CloudShell's \"False\" as a boolean")
    }

    @Test("cloudshell-shell-connectivity-flow 4.0.0 parses every ApplyConnectivityChanges request, setVlan and removeVlan, access and trunk",
          .enabled(if: required, "skipped: FIRM_CLOUDSHELL_PYTHON is not set (scripts/test sets it up) and CI is not set"))
    func connectivityFlowParsesVLANRequests() throws {
        let python = try #require(Self.python, "scripts/test installs the CloudShell venv and sets FIRM_CLOUDSHELL_PYTHON")
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("lab.json", """
            {"version": 1, "name": "cs", "providers": {"fc": {"type": "process", "connectivity": "L2",
               "command": ["python3", "\(Self.fixtures)/recording_driver.py"], "settings": {"stateFile": "cloud.json", "connectivity": "L2"}}},
             "apps": {"web": {"deploymentPath": {"provider": "fc", "deploymentType": "small"}, "waitForIP": false},
                      "db": {"deploymentPath": {"provider": "fc", "deploymentType": "small"}, "waitForIP": false}},
             "networks": {"back": {"provider": "fc", "vlan": 120}},
             "connectors": [{"from": "web", "to": "back"}, {"from": "db", "to": "back", "mode": "trunk"}]}
            """)
        #expect(try firm.run(["apply", "lab.json", "--auto-approve"]).code == 0)
        #expect(try firm.run(["destroy", "lab.json", "--auto-approve"]).code == 0)
        let actions = try Self.parse("applyConnectivityChanges", firm, python: python)
        #expect(actions.count == 4, "\(actions)")
        #expect(Set(actions.compactMap { $0["type"]?.stringValue }) == ["setVlan", "removeVlan"])
        #expect(actions.allSatisfy { $0["vlan"] == "120" && $0["vmUuid"]?.stringValue?.isEmpty == false })
        #expect(Set(actions.compactMap { $0["mode"]?.stringValue }) == ["Access", "Trunk"])
        let removes = actions.filter { $0["type"] == "removeVlan" }
        #expect(removes.allSatisfy { $0["interface"]?.stringValue?.isEmpty == false }, "removeVlan carries the setVlan's interface")
    }

    @Test("cloudshell-cp-core 2.5.4 reads the deployed app of every power, refreshIP, delete and observe (GetVmDetails) request, picks the registered deployment-path model, and parses CleanupSandboxInfra",
          .enabled(if: required, "skipped: FIRM_CLOUDSHELL_PYTHON is not set (scripts/test sets it up) and CI is not set"))
    func cpCoreReadsDeployedApps() throws {
        let python = try #require(Self.python, "scripts/test installs the CloudShell venv and sets FIRM_CLOUDSHELL_PYTHON")
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("lab.json", """
            {"version": 1, "name": "cs4", "providers": {"fc": {"type": "process", "connectivity": "L3",
               "command": ["python3", "\(Self.fixtures)/recording_driver.py"], "settings": {"stateFile": "cloud.json", "connectivity": "L3"}}},
             "apps": {"web": {"deploymentPath": {"provider": "fc", "deploymentType": "Conformance.Deployment",
                                                 "attributes": {"Conformance.Deployment.Image": "ubuntu"}},
                              "attributes": {"User": "admin", "Password": {"env": "WEB_PASSWORD"}}}}}
            """)
        let env = ["WEB_PASSWORD": "pw-s3cret-value"]
        #expect(try firm.run(["apply", "lab.json", "--auto-approve"], environment: env).code == 0)
        let out = try firm.run(["destroy", "lab.json", "--auto-approve"], environment: env)
        #expect(out.code == 0, "\(out.output)")
        for method in ["powerOn", "refreshIP", "delete", "observe"] {
            let apps = try Self.parse(method, firm, python: python)
            #expect(!apps.isEmpty, "no \(method) request")
            for app in apps {
                #expect(app["family"] == "Generic App Family" && app["model"] == "Generic App Model", "\(method): \(app)")
                #expect(app["user"] == "admin" && app["publicIp"] == "", "\(method): \(app)")
                #expect(app["uid"]?.stringValue?.isEmpty == false && app["name"]?.stringValue?.hasPrefix("web__") == true, "\(method): \(app)")
                #expect(app["registered"] == .bool(true) && app["deploymentModel"] == "Conformance.Deployment", "\(method): \(app)")
                #expect(app["customParams"] == ["auto_delete": "True", "createdBy": "filecloud"], "\(method): vmCustomParams are deployedAppAdditionalData")
                #expect(app["attributes"]?["Conformance.Deployment.Image"] == "ubuntu")
                // The password reaches the calls that may need it; observe carries no secrets.
                #expect(app["password"] == (method == "observe" ? "" : "pw-s3cret-value"), "\(method): \(app)")
            }
        }
        #expect(try Self.parse("cleanSandboxInfra", firm, python: python) == [["cleanupNetwork": "cleanup-network"]])
        let saved = try String(contentsOfFile: firm.path("state/cs4.state.json"), encoding: .utf8)
        #expect(!saved.contains("pw-s3cret-value"), "the password never reaches the state")
    }
}
