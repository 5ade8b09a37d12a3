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

@Suite("The state's encoding: small, and older states still read")
struct StateEncodingTests {
    static func app(_ i: Int) -> AppState {
        AppState(provider: "sim", deploymentPath: DeploymentPath(provider: "sim", deploymentType: "small",
                                                                 attributes: ["CPU": .literal("2"), "RAM": .literal("4096"), "Image": .literal("ubuntu-22.04")]),
                 attributes: ["User": .literal("admin"), "Password": .env("BENCH_PW")], vmName: "app\(i)__4a90ce",
                 vmUuid: "171c4716-9c39-4cca-bb47-1aababcdd795", address: "10.0.\(i / 256).\(i % 256)", power: .on,
                 deployedAttributes: ["User": "admin"], additionalData: ["createdBy": "firmament-simulated"])
    }

    @Test("a deployed app of the 10k-app benchmark takes under 400 bytes of snapshot, with empty members and the duplicate provider left out")
    func small() {
        var state = State(lineage: "l", serial: 1, blueprint: "bench")
        for i in 0..<1000 { state.apps["app\(i + 9000)"] = Self.app(i) }
        let bytes = JSONWriter(pretty: false).bytes(state.json).count
        #expect(bytes / 1000 < 400, "\(bytes / 1000) bytes an app")
        let one = Self.app(1).json.compactText
        for absent in [#""publicAddress""#, #""connections""#, #""vmDetails""#, #""pathDigest""#, #""provider":"sim","deploymentPath""#] {
            #expect(!one.contains(absent), "\(absent) in \(one)")
        }
    }

    @Test("every app record reads back as written, including a provider that differs from its path's and empty members")
    func roundTrip() throws {
        var odd = Self.app(2)
        odd.provider = "other"
        odd.publicAddress = "203.0.113.9"
        odd.connections["front"] = Connection(vlan: 100, mode: .access, interface: "eth1")
        var bare = AppState(provider: "sim", deploymentPath: DeploymentPath(provider: "sim", deploymentType: "x"), attributes: [:], vmName: "v", vmUuid: "")
        bare.power = .off
        for app in [Self.app(1), odd, bare] {
            var context = DecodingContext(file: "s.json")
            let decoded = AppState.decode(try JSONReader.parse(app.json.compactText), JSONPath("apps.a"), &context)
            #expect(decoded == app && context.diagnostics.isEmpty, "\(app.json.compactText): \(context.diagnostics)")
        }
    }

    @Test("a state written before 0.2 (pretty, with pathDigest, vmDetails and every member) still reads")
    func olderState() throws {
        let text = """
            {"version": 1, "lineage": "L", "serial": 3, "blueprint": "lab", "apps": {"web": {
              "provider": "sim", "deploymentPath": {"provider": "sim", "deploymentType": "small", "attributes": {}},
              "pathDigest": "461edd9e", "attributes": {}, "vmName": "web__1", "vmUuid": "u1", "address": "10.0.0.2",
              "publicAddress": "", "power": "on", "deployedAttributes": {}, "additionalData": {"sandbox": "lab"},
              "vmDetails": {"vmInstanceData": [{"key": "Status", "value": "stopped", "hidden": false}]}, "connections": {}}}}
            """
        var context = DecodingContext(file: "old.json")
        let state = try #require(State.decode(try JSONReader.parse(text), &context))
        #expect(context.diagnostics.isEmpty, "\(context.diagnostics)")
        #expect(state.apps["web"]?.vmName == "web__1" && state.apps["web"]?.provider == "sim" && state.apps["web"]?.power == .on)
        let missingPathProvider = text.replacingOccurrences(of: #""provider": "sim", "deploymentPath": {"provider": "sim", "#, with: #""deploymentPath": {"provider": "../x", "#)
        #expect(missingPathProvider != text)
        var bad = DecodingContext(file: "old.json")
        _ = State.decode(try JSONReader.parse(missingPathProvider), &bad)
        #expect(bad.diagnostics.map(\.description).joined().contains("apps.web.deploymentPath.provider"), "\(bad.diagnostics)")
    }

    /// A state with every kind of member, and text that needs escaping.
    static func rich() -> State {
        var state = State(lineage: "L\"1", serial: 42, blueprint: "lab")
        var odd = app(2)
        odd.provider = "other"
        odd.publicAddress = "203.0.113.9"
        odd.attributes["Note"] = .literal("tab\there \"quoted\" \\ back\u{1}")
        odd.connections = ["front": Connection(vlan: 100, mode: .access, interface: "eth1"), "back": Connection(interface: "eth2", subnetId: "subnet-1")]
        odd.additionalData = ["nested": ["a": [1, "x", nil, true]], "createdBy": "sim"]
        odd.deployedAttributes = ["Password": "p\nw", "User": "ünïcode"]
        var bare = AppState(provider: "sim", deploymentPath: DeploymentPath(provider: "sim", deploymentType: "x"), attributes: [:], vmName: "v", vmUuid: "")
        bare.power = .off
        var other = app(3)
        other.vmUuid = "u3"
        odd.vmUuid = "u2"
        state.apps = ["web": app(1), "odd": odd, "bare": bare, "a.b-c_d": other]
        state.intents["i1"] = Intent(id: "i1", operation: .deploy, app: "web", provider: "sim", vmName: "web__1", started: "2026-12-03T10:00:00Z",
                                     deploymentPath: odd.deploymentPath, attributes: odd.attributes)
        state.intents["i2"] = Intent(id: "i2", operation: .delete, app: "odd", provider: "sim", vmName: "odd__1", vmUuid: "u", started: "2026-12-03T10:00:01Z")
        state.networks = ["front": NetworkState(provider: "sim", vlan: 100), "dmz": NetworkState(provider: "sky", cidr: "10.0.1.0/24", subnetId: "s", isPublic: true)]
        state.infra["sky"] = InfraState(cidr: "10.0.0.0/16", networkId: "vpc-1", keys: "k", cleaning: true)
        state.sandbox = SandboxRecord(name: "lab", blueprintFile: "lab.json", providers: ["sim": ["type": "simulated"]], home: "/h", created: "2026-12-03T10:00:00Z")
        state.snapshots["golden"] = SnapshotRecord(app: "web", provider: "sim", deploymentType: "small", vmName: "web__1", vmUuid: "u1",
                                                   created: "2026-12-03T10:00:02Z", status: .available, artifacts: ["image": "ami-1"], restore: ["AMI": "ami-1"])
        state.snapshots["half"] = SnapshotRecord(app: "web", provider: "sim", deploymentType: "small", vmName: "web__1", vmUuid: "u1", created: "2026-12-03T10:00:03Z")
        var restored = app(4)
        restored.vmUuid = "u4"
        restored.vmName = "copy__1"
        restored.deploymentPath.attributes["image"] = .snapshot("golden")
        state.apps["copy"] = restored
        return state
    }

    @Test("the snapshot written straight from the state has the bytes of its JSON value, and an app's value indents as that value does")
    func directSnapshot() throws {
        for state in [Self.rich(), State(lineage: "l", serial: 0, blueprint: "b")] {
            let direct = state.compactBytes
            #expect(String(decoding: direct, as: UTF8.self) == state.json.compactText)
            var context = DecodingContext(file: "s.json")
            #expect(State.decode(try JSONReader.parse(direct), &context) == state && context.diagnostics.isEmpty, "\(context.diagnostics)")
        }
        for pretty in [true, false] {
            let w = JSONWriter(pretty: pretty)
            for app in Self.rich().apps.values {
                var direct: [UInt8] = []
                app.write(w, into: &direct, indent: 2)
                var reference: [UInt8] = []
                w.write(app.json, into: &reference, indent: 2)
                #expect(String(decoding: direct, as: UTF8.self) == String(decoding: reference, as: UTF8.self))
            }
            for intent in Self.rich().intents.values {
                var direct: [UInt8] = []
                intent.write(w, into: &direct, indent: 2)
                var reference: [UInt8] = []
                w.write(intent.json, into: &reference, indent: 2)
                #expect(String(decoding: direct, as: UTF8.self) == String(decoding: reference, as: UTF8.self), "intent \(intent.id)")
            }
        }
    }

    @Test("every kind of journal line reads back as the change it records, under a checksum of its own bytes")
    func journalLines() throws {
        let state = Self.rich()
        let changes: [StateChange] = [
            .putApp("odd", state.apps["odd"]!), .putApp("bare", state.apps["bare"]!), .setPower("web", .on),
            .setAddresses("web", Addresses(privateAddress: "10.0.0.2", publicAddress: "203.0.113.1")), .removeApp("a.b-c_d"),
            .beginIntent(state.intents["i1"]!), .beginIntent(state.intents["i2"]!), .endIntent("i1"),
            .putNetwork("dmz", state.networks["dmz"]!), .removeNetwork("front"), .putInfra("sky", state.infra["sky"]!),
            .removeInfra("sky"), .putSandbox(state.sandbox!), .putSnapshot("golden", state.snapshots["golden"]!),
            .putSnapshot("half", state.snapshots["half"]!), .removeSnapshot("half"), .putApp("copy", state.apps["copy"]!),
        ]
        var bytes = Journal.header(lineage: "L", blueprint: "lab")
        for (i, change) in changes.enumerated() { Journal.appendLine(change, serial: i + 1, to: &bytes) }
        let contents = try #require(try Journal.parse(bytes, file: "j"))
        #expect(contents.records.map(\.change) == changes && contents.records.map(\.serial) == Array(1...changes.count))
        #expect(contents.droppedTail == nil && contents.validLength == bytes.count)

        var one: [UInt8] = []
        Journal.appendLine(.setPower("web", .on), serial: 7, to: &one)
        let body = #"{"serial":7,"op":"setPower","app":"web","power":"on"}"#
        #expect(String(decoding: one, as: UTF8.self) == CRC32.hex(Array(body.utf8)) + " " + body + "\n")
        var put: [UInt8] = []
        Journal.appendLine(.putApp("odd", state.apps["odd"]!), serial: 3, to: &put)
        #expect(String(decoding: put, as: UTF8.self).contains(#""app":"odd","value":"# + state.apps["odd"]!.json.compactText + "}\n"))
    }
}
