import Foundation
import Testing
@testable import FirmBase
import FirmTestSupport

/// What firm prints for the example blueprints of `blueprints/` on the simulated cloud, held to
/// golden files (see `Golden`): the plan from nothing, `firm show` after the apply, `firm drift`
/// as text and JSON after changes made outside Firmament, and the plan that puts them back.
@Suite("Golden files: plan, show and drift output of the example blueprints", .serialized)
struct GoldenTests {
    struct Example: CustomStringConvertible, Sendable {
        /// The file in blueprints/, and the golden files' prefix.
        var name: String
        /// `firm sim` changes after the apply, each as its arguments after the blueprint.
        var changes: [[String]]
        var environment: [String: String] = [:]
        var description: String { name }
    }

    static let examples = [
        Example(name: "quickstart", changes: [["stop", "web"], ["set-ip", "api", "10.20.0.99"]],
                environment: ["QUICKSTART_DB_PASSWORD": "golden-secret-123"]),
        Example(name: "three-tier-l2", changes: [["disconnect", "app", "backend"], ["delete", "db"]]),
        Example(name: "l3-sandbox", changes: [["stop", "api"], ["delete", "db"]]),
    ]

    @Test("the plan, show and drift output of each example blueprint match their golden files", arguments: examples)
    func example(_ example: Example) throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        let blueprint = "\(example.name).json"
        firm.write(blueprint, try String(contentsOf: ConnectivityTests.root.appendingPathComponent("blueprints/\(blueprint)"), encoding: .utf8))
        func run(_ arguments: [String], expect code: Int32) throws -> String {
            let result = try firm.run(arguments, environment: example.environment)
            #expect(result.code == code, "firm \(arguments.joined(separator: " ")): \(result.output)")
            return result.stdout
        }
        func check(_ output: String, _ kind: String, sourceLocation: SourceLocation = #_sourceLocation) {
            Golden.check(output, "\(example.name).\(kind)", folder: firm.directory, sourceLocation: sourceLocation)
        }

        check(try run(["plan", blueprint], expect: 0), "plan.txt")
        // One action at a time: addresses, auto VLANs and serials are then the same every run.
        _ = try run(["apply", blueprint, "--auto-approve", "--parallelism", "1"], expect: 0)
        check(try run(["show", blueprint], expect: 0), "show.txt")
        for change in example.changes {
            _ = try run(["sim", blueprint] + change, expect: 0)
        }
        check(try run(["drift", blueprint], expect: 2), "drift.txt")
        check(try run(["drift", blueprint, "--json"], expect: 2), "drift.json")
        check(try run(["plan", blueprint], expect: 0), "plan-after-drift.txt")
        #expect(!(try run(["show", blueprint], expect: 0)).contains("golden-secret-123"))
    }

    @Test("the normalizer replaces what varies from run to run, and nothing else")
    func normalizer() {
        let folder = "/tmp/firm-test-1"
        let text = """
            State at /tmp/firm-test-1/state/lab.state.json (lineage 7f1337e2-d048-4556-8aad-ba1eb1c3e624)
            vm:         api__65bc06 (DC84A39A-69E7-4619-BA8D-90320FEC89E1), made 2030-01-01T00:00:00Z
            connected:  network.backend, vlan 100 (access) on 02:9e:d4:53:65:2f
            subnet:     10.40.1.0/24 (public), id subnet-23887e17aaef; network: net-05e52ad0f7f6
            [   35µs] done in 152ms, then 1.50s; 10.30.0.2, 203.0.113.3, vlan 120, serial 19, web__tier
            """
        #expect(Golden.normalized(text, folder: folder) == """
            State at <dir>/state/lab.state.json (lineage <uuid>)
            vm:         api__<hex> (<uuid>), made <time>
            connected:  network.backend, vlan 100 (access) on <mac>
            subnet:     10.40.1.0/24 (public), id subnet-<hex>; network: net-<hex>
            [   <duration>] done in <duration>, then <duration>; 10.30.0.2, 203.0.113.3, vlan 120, serial 19, web__tier
            """)
    }

    @Test("a golden file that does not match, or is missing, is a failure that says how to record it; recording writes it")
    func mismatchFails() throws {
        let golden = TempDirectory()
        let folder = URL(fileURLWithPath: golden.path)
        let missing = try #require(Golden.compare("anything", "new.txt", folder: "/nowhere", recording: false, goldenFolder: folder))
        #expect(missing.contains("is missing") && missing.contains("FIRM_RECORD_GOLDEN=1 scripts/test --filter Golden"), "\(missing)")
        #expect(Golden.compare("a\nb /nowhere/x\n", "new.txt", folder: "/nowhere", recording: true, goldenFolder: folder) == nil)
        #expect(golden.read("new.txt") == "a\nb <dir>/x\n", "it records the normalized text")
        #expect(Golden.compare("a\nb /nowhere/x\n", "new.txt", folder: "/nowhere", recording: false, goldenFolder: folder) == nil)
        let differs = try #require(Golden.compare("a\nc\n", "new.txt", folder: "/nowhere", recording: false, goldenFolder: folder))
        #expect(differs.contains("line 2:\n  golden: b <dir>/x\n  output: c") && differs.contains("FIRM_RECORD_GOLDEN=1"), "\(differs)")
        #expect(Golden.firstDifference("a", "a\nb") == "line 2:\n  golden: (end of file)\n  output: b")
    }
}
