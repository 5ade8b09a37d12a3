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

/// Time to live, `firm sandboxes`, `firm gc`, and destroy from the state alone. The clock is
/// set with FIRM_TEST_NOW: nothing sleeps.
@Suite("End to end: sandbox lifetimes", .serialized)
struct SandboxLifetimeTests {
    static let start = "2030-01-01T00:00:00Z"
    static func at(_ time: String) -> [String: String] { ["FIRM_TEST_NOW": time] }

    func vms(_ firm: FirmProcess) async throws -> [SimulatedVM] {
        try await SimulatedCloud(name: "lab", settings: SimulatedSettings(), connectivity: .l2, baseDirectory: firm.directory).allVMs()
    }

    func sandboxes(_ firm: FirmProcess, at time: String) throws -> [String: JSON] {
        let listed = try firm.run(["sandboxes", "--json"], environment: Self.at(time))
        #expect(listed.code == 0, "\(listed.output)")
        var result: [String: JSON] = [:]
        for entry in try JSONReader.parse(listed.stdout).plain.arrayValue ?? [] { result[entry["name"]?.stringValue ?? ""] = entry }
        return result
    }

    @Test("apply --ttl and the blueprint's ttl record an expiry; sandboxes lists each with its status; gc --dry-run only lists; gc destroys only the expired")
    func ttlAndGC() async throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("lab.json", try SandboxTests.allAuto())
        let withTTL = try SandboxTests.allAuto().replacingOccurrences(of: #""name": "three-tier","#, with: #""name": "three-tier", "ttl": "3h","#)
        #expect(withTTL.contains(#""ttl": "3h""#))
        firm.write("ttl.json", withTTL)
        #expect(try firm.run(["apply", "lab.json", "--auto-approve", "--sandbox", "short", "--ttl", "1h"], environment: Self.at(Self.start)).code == 0)
        #expect(try firm.run(["apply", "ttl.json", "--auto-approve", "--sandbox", "long"], environment: Self.at(Self.start)).code == 0)
        #expect(try firm.run(["apply", "lab.json", "--auto-approve", "--sandbox", "forever"], environment: Self.at(Self.start)).code == 0)

        var listed = try sandboxes(firm, at: "2030-01-01T00:30:00Z")
        #expect(listed["short"]?["expires"]?.stringValue == "2030-01-01T01:00:00Z")
        #expect(listed["long"]?["expires"]?.stringValue == "2030-01-01T03:00:00Z")
        #expect(listed["forever"]?["expires"] == .null)
        #expect(listed.values.allSatisfy { $0["status"]?.stringValue == "active" })
        #expect(listed["short"]?["apps"]?.arrayValue?.count == 3)
        #expect(listed["short"]?["created"]?.stringValue == Self.start)
        let text = try firm.run(["sandboxes"], environment: Self.at("2030-01-01T01:30:00Z"))
        #expect(text.stdout.contains("short\tthree-tier\t3\t2030-01-01T00:00:00Z\t2030-01-01T00:00:00Z\t2030-01-01T01:00:00Z\texpired"), "\(text.stdout)")

        let later = "2030-01-01T02:00:00Z"
        let dry = try firm.run(["gc", "--dry-run"], environment: Self.at(later))
        #expect(dry.code == 0 && dry.stdout.contains("would destroy short") && !dry.stdout.contains("long"), "\(dry.output)")
        #expect(try await vms(firm).count == 9, "a dry run destroys nothing")
        let gc = try firm.run(["gc"], environment: Self.at(later))
        #expect(gc.code == 0, "\(gc.output)")
        let left = try await vms(firm)
        #expect(Set(left.map(\.sandbox)) == ["long", "forever"] && left.count == 6)
        listed = try sandboxes(firm, at: later)
        #expect(listed["short"]?["status"]?.stringValue == "empty")
        #expect(listed["long"]?["status"]?.stringValue == "active")

        // A new apply of a sandbox with a ttl moves its expiry on.
        #expect(try firm.run(["apply", "ttl.json", "--auto-approve", "--sandbox", "long"], environment: Self.at(later)).code == 0)
        #expect(try sandboxes(firm, at: later)["long"]?["expires"]?.stringValue == "2030-01-01T05:00:00Z")
    }

    @Test("gc goes on past a sandbox it can't destroy, and exits 1")
    func gcContinuesPastFailures() async throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("lab.json", try SandboxTests.allAuto())
        for name in ["one", "two"] {
            #expect(try firm.run(["apply", "lab.json", "--auto-approve", "--sandbox", name, "--ttl", "1h"], environment: Self.at(Self.start)).code == 0)
        }
        // Another firm holds one's lock.
        let lock = try await LocalStateBackend(paths: StatePaths(snapshot: firm.path("state/one.state.json"))).lock(operation: "test", timeout: nil)
        defer { lock.release() }
        let gc = try firm.run(["gc"], environment: Self.at("2030-01-01T02:00:00Z"))
        #expect(gc.code == 1, "\(gc.output)")
        #expect(gc.stderr.contains("gc: one:") && gc.stdout.contains("destroyed two"), "\(gc.output)")
        #expect(try await vms(firm).map(\.sandbox) == ["one", "one", "one"])
    }

    @Test("destroy --sandbox works after the blueprint file is deleted, from the providers the state recorded")
    func destroyFromState() async throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("blueprints/lab.json", try SandboxTests.example("three-tier-l2.json"))
        firm.write("state/README", "")
        #expect(try firm.run(["apply", "blueprints/lab.json", "--auto-approve", "--sandbox", "ci-7"]).code == 0)
        #expect(try await vms(firm).count == 3)
        try FileManager.default.removeItem(atPath: firm.path("blueprints/lab.json"))
        let state = try #require(firm.read("state/ci-7.state.json"))
        #expect(state.contains(#""providers""#) && state.contains(#""vlanRange""#), "the state records the providers as applied")

        let destroy = try firm.run(["destroy", "--sandbox", "ci-7", "--auto-approve"], in: "blueprints")
        #expect(destroy.code == 0, "\(destroy.output)")
        #expect(try await vms(firm).isEmpty)
        #expect(try #require(firm.read("state/vlan-pool.json")).contains("ci-7") == false, "the destroy gave the VLANs back")
        let missing = try firm.run(["destroy", "--sandbox", "nope", "--auto-approve"])
        #expect(missing.code == 1 && missing.stderr.contains("no state for sandbox \"nope\" at \(firm.path("state/nope.state.json"))"), "\(missing.output)")
    }

    @Test("a malformed FIRM_TEST_NOW or ttl is refused with a clear error, and nothing is written")
    func badClockAndTTL() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("lab.json", try SandboxTests.allAuto())
        let clock = try firm.run(["apply", "lab.json", "--auto-approve"], environment: ["FIRM_TEST_NOW": "tomorrow"])
        #expect(clock.code == 1 && clock.stderr.contains("FIRM_TEST_NOW: \"tomorrow\" is not a UTC time"), "\(clock.output)")
        #expect(!firm.exists("state/three-tier.state.json"))
        let flag = try firm.run(["apply", "lab.json", "--auto-approve", "--ttl", "soon"])
        #expect(flag.code == 64 && flag.stderr.contains("--ttl takes a duration"))
        firm.write("bad.json", try SandboxTests.allAuto().replacingOccurrences(of: #""name": "three-tier","#, with: #""name": "three-tier", "ttl": "-1h","#))
        let decoded = try firm.run(["validate", "bad.json"])
        #expect(decoded.code == 1 && decoded.stderr.contains("ttl: expected a time to live"), "\(decoded.output)")
        #expect(!firm.exists("state/three-tier.state.json"))
    }
}
