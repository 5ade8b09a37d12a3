import Foundation
import Testing

@testable import Firmament

/// firm's messages handed to Quali's own CloudShell libraries, installed by scripts/test in a
/// venv at pinned versions ($FIRM_CLOUDSHELL_PYTHON names its python). Under CI the venv must
/// be there; a local run without it skips, and says so.
@Suite("End to end: CloudShell's libraries read firm's messages", .serialized)
struct CloudShellConformanceTests {
    static let python = ProcessInfo.processInfo.environment["FIRM_CLOUDSHELL_PYTHON"]
    static let required = ProcessInfo.processInfo.environment["CI"] == "true" || python != nil
    static let fixtures = ProcessDriverTests.root.appendingPathComponent("Tests/EndToEndTests/Fixtures").path

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

        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["\(Self.fixtures)/parse_connectivity.py", firm.path("requests.jsonl")]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let outBox = ReadBox(out.fileHandleForReading), errBox = ReadBox(err.fileHandleForReading)
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "connectivity-flow refused a request: \(errBox.text())")
        let actions = try outBox.text().split(separator: "\n").map { try JSONReader.parse(String($0)).plain }
        #expect(actions.count == 4, "\(actions)")
        #expect(Set(actions.compactMap { $0["type"]?.stringValue }) == ["setVlan", "removeVlan"])
        #expect(actions.allSatisfy { $0["vlan"] == "120" && $0["vmUuid"]?.stringValue?.isEmpty == false })
        #expect(Set(actions.compactMap { $0["mode"]?.stringValue }) == ["Access", "Trunk"])
        let removes = actions.filter { $0["type"] == "removeVlan" }
        #expect(removes.allSatisfy { $0["interface"]?.stringValue?.isEmpty == false }, "removeVlan carries the setVlan's interface")
    }
}
