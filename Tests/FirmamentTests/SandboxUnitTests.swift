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

@Suite("Sandboxes: VLAN pool, timestamps, sandbox records")
struct SandboxUnitTests {
    @Test("auto VLANs skip the ids other sandboxes hold, and a recorded id another sandbox now holds is given up")
    func reservedAllocation() {
        var b = ConnectivityPlannerTests.l2(vlanRange: "100-105")
        b.apps["web"] = ConnectivityPlannerTests.app("lab")
        b.networks["m"] = NetworkSpec(provider: "lab", kind: .vlan(.auto))
        b.networks["z"] = NetworkSpec(provider: "lab", kind: .vlan(.auto))
        b.connectors = [ConnectorSpec(from: "web", to: "m"), ConnectorSpec(from: "web", to: "z")]
        let empty = State(lineage: "", blueprint: "lab")
        let cases: [(reserved: Set<Int>, state: State, m: Int?, z: Int?)] = [
            ([], empty, 100, 101),
            ([100, 101], empty, 102, 103),
            ([101], empty, 100, 102),
            ([100], ConnectivityPlannerTests.applied(b, vlans: ["m": 100, "z": 101]), 102, 101),
            ([100, 101, 102, 103, 104], empty, 105, nil),
        ]
        for c in cases {
            let topology = Topology.resolve(b, state: c.state, reserved: ["lab": c.reserved])
            let m: Int? = if case .vlan(let id)? = topology.networks["m"]?.kind { id } else { nil }
            let z: Int? = if case .vlan(let id)? = topology.networks["z"]?.kind { id } else { nil }
            #expect(m == c.m && z == c.z, "reserved \(c.reserved.sorted()): m \(String(describing: m)), z \(String(describing: z))")
        }
        let plan = Planner.plan(blueprint: b, blueprintFile: "lab.json", state: empty, reserved: ["lab": [100]])
        let links = plan.actions.compactMap { action -> VLANLink? in if case .connect(_, let link) = action.kind { link } else { nil } }
        #expect(links.first { $0.network == "m" }?.vlan == 101, "\(links)")
    }

    @Test("the pool says which sandbox holds an id, and forgets a sandbox set to nothing")
    func poolHolders() {
        var pool = VLANPool()
        pool.set("sim:1", sandbox: "a", ["front": 100, "back": 101])
        pool.set("sim:1", sandbox: "b", ["front": 102])
        pool.set("sim:2", sandbox: "c", ["front": 100])
        #expect(pool.heldByOthers("sim:1", except: "a") == [102: "b"])
        #expect(pool.heldByOthers("sim:1", except: "z") == [100: "a", 101: "a", 102: "b"])
        pool.set("sim:1", sandbox: "a", [:])
        pool.set("sim:2", sandbox: "c", [:])
        #expect(pool.providers == ["sim:1": ["b": ["front": 102]]])
    }

    @Test("a pool file is read back as written, and every kind of damage is refused with its path")
    func poolFileTable() throws {
        var pool = VLANPool()
        pool.set("simulated:abc", sandbox: "ci-1", ["backend": 100, "link:app:db": 101])
        var context = DecodingContext(file: "vlan-pool.json")
        #expect(VLANPool.decode(try JSONReader.parse(pool.json.compactText), &context) == pool && context.diagnostics.isEmpty)
        let cases: [(text: String, expected: String)] = [
            (#"{"version": 2, "providers": {}}"#, "VLAN pool format 2 is not supported"),
            (#"{"version": 1}"#, #"missing required key "providers""#),
            (#"{"version": 1, "providers": {"k": {"../x": {"n": 100}}}}"#, "not a valid sandbox name"),
            (#"{"version": 1, "providers": {"k": {"a": {"n": 5000}}}}"#, "providers.k.a.n"),
            (#"{"version": 1, "providers": {"k": {"a": {"n": "100"}}}}"#, "providers.k.a.n"),
            (#"{"version": 1, "providers": {"k": {"a": {"link:x": 100}}}}"#, "expected a network name"),
            (#"{"version": 1, "providers": {"k": {"a": []}}}"#, "expected an object of networks"),
            (#"{"version": 1, "providers": {"k": {"a": {"n": 1}, "a": {"n": 2}}}}"#, "duplicate key"),
        ]
        for c in cases {
            var context = DecodingContext(file: "vlan-pool.json")
            _ = VLANPool.decode(try JSONReader.parse(c.text), &context)
            let text = context.diagnostics.map(\.description).joined(separator: "\n")
            #expect(text.contains(c.expected), "\(c.text): \(text)")
        }
    }

    @Test("timestamps: parsed to seconds and back; anything that is not one is refused")
    func timestamps() throws {
        #expect(Timestamp.seconds("1970-01-01T00:00:00Z") == 0)
        #expect(Timestamp.seconds("2030-01-01T00:00:00Z") == 1_893_456_000)
        #expect(Timestamp.text(1_893_456_000 + 7200) == "2030-01-01T02:00:00Z")
        #expect(try SandboxClock.adding(.seconds(90 * 60), to: "2030-12-31T23:00:00Z") == "2031-01-01T00:30:00Z")
        // The last second a state can record, and one past it.
        #expect(Timestamp.text(Timestamp.latestSeconds) == "9999-12-31T23:59:59Z")
        #expect(Timestamp.seconds("9999-12-31T23:59:59Z") == Timestamp.latestSeconds)
        #expect(try SandboxClock.adding(.seconds(59), to: "9999-12-31T23:59:00Z") == "9999-12-31T23:59:59Z")
        #expect(throws: SandboxError.expiryOutOfRange(now: "9999-12-31T23:59:00Z", ttl: "1m")) {
            try SandboxClock.adding(.seconds(60), to: "9999-12-31T23:59:00Z")
        }
        for bad in ["", "2030-01-01", "2030-02-31T00:00:00Z", "2030-13-01T00:00:00Z", "2030-01-01T24:00:00Z", "2030-01-01 00:00:00Z",
                    "+030-01-01T00:00:00Z", "2030-01-01T00:00:00+01", "1969-12-31T23:59:59Z", "２030-01-01T00:00:00Z"] {
            #expect(Timestamp.seconds(bad) == nil, "\(bad)")
        }
        #expect(throws: SandboxError.invalidClock("soon")) { try SandboxClock.now(Environment { $0 == "FIRM_TEST_NOW" ? "soon" : nil }) }
        #expect(try SandboxClock.now(Environment { $0 == "FIRM_TEST_NOW" ? "2031-05-05T05:05:05Z" : nil }) == "2031-05-05T05:05:05Z")
    }

    @Test("a sandbox record's status: expired from its expiry on, failed after failed actions, else active")
    func recordStatus() {
        var record = SandboxRecord(name: "ci", blueprintFile: "/b.json", providers: .object(JSONObject()), home: "/", created: "2030-01-01T00:00:00Z",
                                   expires: "2030-01-01T01:00:00Z")
        #expect(record.status(at: "2030-01-01T00:59:59Z") == "active")
        #expect(record.status(at: "2030-01-01T01:00:00Z") == "expired")
        record.failed = true
        #expect(record.status(at: "2030-01-01T00:00:00Z") == "failed")
        record.expires = nil
        #expect(record.status(at: "2099-01-01T00:00:00Z") == "failed")
    }

    @Test("a state's sandbox record is read back as written; a damaged one is refused with its path")
    func recordInState() throws {
        var state = State(lineage: "l", serial: 3, blueprint: "lab")
        state.sandbox = SandboxRecord(name: "ci-1", blueprintFile: "/repo/lab.json", providers: ["lab": ["type": "simulated"]], home: "/repo",
                                      created: "2030-01-01T00:00:00Z", lastApplied: "2030-01-01T00:10:00Z", expires: "2030-01-01T02:00:00Z")
        var context = DecodingContext(file: "s.json")
        #expect(State.decode(try JSONReader.parse(state.json.compactText), &context) == state && context.diagnostics.isEmpty)
        let good = state.json.compactText
        let cases: [(from: String, to: String, expected: String)] = [
            (#""home":"/repo""#, #""home":"repo""#, "sandbox.home: expected an absolute folder path"),
            (#""expires":"2030-01-01T02:00:00Z""#, #""expires":"later""#, "sandbox.expires: expected a UTC time"),
            (#""providers":{"lab":{"type":"simulated"}}"#, #""providers":[]"#, "sandbox.providers: expected an object of providers"),
            (#""name":"ci-1""#, #""name":"ci/1""#, "not a valid sandbox name"),
        ]
        for c in cases {
            let text = good.replacingOccurrences(of: c.from, with: c.to)
            #expect(text != good, "\(c.from)")
            var context = DecodingContext(file: "s.json")
            _ = State.decode(try JSONReader.parse(text), &context)
            let found = context.diagnostics.map(\.description).joined(separator: "\n")
            #expect(found.contains(c.expected), "\(c.to): \(found)")
        }
        // The masked form hides settings that look secret, and keeps env references.
        state.sandbox?.providers = ["lab": ["type": "process", "settings": ["apiToken": "abc123", "password": ["env": "PW"]]]]
        let masked = state.maskedJSON.compactText
        #expect(!masked.contains("abc123") && masked.contains(#""env":"PW""#))
    }
}
