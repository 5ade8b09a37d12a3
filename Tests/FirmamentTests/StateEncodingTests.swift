import Foundation
import Testing

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
}
