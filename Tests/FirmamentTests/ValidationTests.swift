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

/// Each bad input gives the expected problem at the expected JSON path (and position).
@Suite("Blueprint validation")
struct ValidationTests {
    static let provider = #""providers": {"sim": {"type": "simulated", "connectivity": "L2"}}"#
    static let l3 = #""providers": {"sky": {"type": "simulated", "connectivity": "L3", "settings": {"cidr": "10.0.0.0/16"}}}"#

    static func app(_ body: String = #""deploymentPath": {"provider": "sim", "deploymentType": "small"}"#) -> String {
        "{\(body)}"
    }

    static func blueprint(_ rest: String, providers: String = provider) -> String {
        #"{"version": 1, "name": "lab", "# + providers + ", " + rest + "}"
    }

    struct Case: CustomStringConvertible, Sendable {
        var name: String
        var text: String
        var path: String
        var message: String
        var position: SourcePosition? = nil
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "empty document", text: "", path: "", message: "the document is empty", position: SourcePosition(line: 1, column: 1)),
        Case(name: "empty object", text: "{}", path: "", message: "the blueprint is empty"),
        Case(name: "not an object", text: "[1, 2]", path: "", message: "expected an object, found an array"),
        Case(name: "malformed JSON", text: "{\"version\": 1,\n \"name\": }", path: "", message: "expected a value", position: SourcePosition(line: 2, column: 10)),
        Case(name: "unknown top-level key", text: blueprint(#""apps": {}, "app": {}"#), path: "app", message: "unknown key (did you mean apps?)"),
        Case(name: "missing apps", text: #"{"version": 1, "name": "lab", "providers": {}}"#, path: "", message: "missing required key \"apps\""),
        Case(name: "wrong version", text: #"{"version": 2, "name": "lab", "providers": {}, "apps": {}}"#, path: "version", message: "unsupported format version 2"),
        Case(name: "version of wrong type", text: #"{"version": "1", "name": "lab", "providers": {}, "apps": {}}"#, path: "version", message: "expected a whole number, found a string"),
        Case(name: "hostile blueprint name", text: #"{"version": 1, "name": "../../etc/passwd", "providers": {}, "apps": {}}"#, path: "name", message: "is not a valid blueprint name"),
        Case(name: "name with a slash", text: #"{"version": 1, "name": "a/b", "providers": {}, "apps": {}}"#, path: "name", message: "is not a valid blueprint name"),
        Case(name: "name too long", text: #"{"version": 1, "name": ""# + String(repeating: "a", count: 64) + #"", "providers": {}, "apps": {}}"#, path: "name", message: "is not a valid blueprint name"),
        Case(name: "duplicate key", text: "{\"version\": 1, \"name\": \"lab\", \"providers\": {},\n\"apps\": {}, \"apps\": {}}", path: "apps", message: "duplicate key (first defined at 2:1)", position: SourcePosition(line: 2, column: 13)),
        Case(name: "duplicate app", text: blueprint(#""apps": {"web": "# + app() + #", "web": "# + app() + "}"), path: "apps.web", message: "duplicate key"),
        Case(name: "unknown app key with hint", text: blueprint(#""apps": {"web": {"deploymentPth": {}}}"#), path: "apps.web.deploymentPth", message: "unknown key (did you mean deploymentPath?)"),
        Case(name: "missing deployment path", text: blueprint(#""apps": {"web": {}}"#), path: "apps.web", message: "missing required key \"deploymentPath\""),
        Case(name: "unknown provider", text: blueprint(#""apps": {"web": {"deploymentPath": {"provider": "simm", "deploymentType": "small"}}}"#), path: "apps.web.deploymentPath.provider", message: "unknown provider \"simm\" (did you mean sim?)"),
        Case(name: "empty deployment type", text: blueprint(#""apps": {"web": {"deploymentPath": {"provider": "sim", "deploymentType": ""}}}"#), path: "apps.web.deploymentPath.deploymentType", message: "expected a non-empty string"),
        Case(name: "power of wrong value", text: blueprint(#""apps": {"web": "# + app(#""deploymentPath": {"provider": "sim", "deploymentType": "s"}, "power": "of""#) + "}"), path: "apps.web.power", message: "expected \"on\" or \"off\", found \"of\" (did you mean off?)"),
        Case(name: "waitForIP of wrong type", text: blueprint(#""apps": {"web": "# + app(#""deploymentPath": {"provider": "sim", "deploymentType": "s"}, "waitForIP": "yes""#) + "}"), path: "apps.web.waitForIP", message: "expected true or false, found a string"),
        Case(name: "attribute of wrong type", text: blueprint(#""apps": {"web": "# + app(#""deploymentPath": {"provider": "sim", "deploymentType": "s"}, "attributes": {"CPU": 2}"#) + "}"), path: "apps.web.attributes.CPU", message: "expected a string or {\"env\": \"NAME\"}, found a number"),
        Case(name: "attribute name with a space is quoted in the path", text: blueprint(#""apps": {"web": "# + app(#""deploymentPath": {"provider": "sim", "deploymentType": "s", "attributes": {"Public IP": true}}"#) + "}"), path: "apps.web.deploymentPath.attributes[\"Public IP\"]", message: "found a boolean"),
        Case(name: "env attribute with a bad name", text: blueprint(#""apps": {"web": "# + app(#""deploymentPath": {"provider": "sim", "deploymentType": "s"}, "attributes": {"P": {"env": "1BAD"}}"#) + "}"), path: "apps.web.attributes.P.env", message: "is not an environment variable name"),
        Case(name: "env attribute with an extra key", text: blueprint(#""apps": {"web": "# + app(#""deploymentPath": {"provider": "sim", "deploymentType": "s"}, "attributes": {"P": {"env": "X", "default": "y"}}"#) + "}"), path: "apps.web.attributes.P.default", message: "unknown key"),
        Case(name: "hostile app name", text: blueprint(#""apps": {"../x": "# + app() + "}"), path: "apps[\"../x\"]", message: "is not a valid app name"),
        Case(name: "app name with a control character", text: blueprint(#""apps": {"a\u0007b": "# + app() + "}"), path: "apps[\"a\\u0007b\"]", message: "is not a valid app name"),
        Case(name: "unknown provider type", text: blueprint(#""apps": {}"#, providers: #""providers": {"sim": {"type": "simulatd"}}"#), path: "providers.sim.type", message: "(did you mean simulated?)"),
        Case(name: "bad connectivity", text: blueprint(#""apps": {}"#, providers: #""providers": {"sim": {"type": "simulated", "connectivity": "L4"}}"#), path: "providers.sim.connectivity", message: "expected \"L2\" or \"L3\""),
        Case(name: "bad simulated CIDR", text: blueprint(#""apps": {}"#, providers: #""providers": {"sim": {"type": "simulated", "settings": {"cidr": "10.0.0.1/16"}}}"#), path: "providers.sim.settings.cidr", message: "is not a valid CIDR"),
        Case(name: "unknown simulated setting", text: blueprint(#""apps": {}"#, providers: #""providers": {"sim": {"type": "simulated", "settings": {"latncy": {}}}}"#), path: "providers.sim.settings.latncy", message: "(did you mean latency?)"),
        Case(name: "bad latency", text: blueprint(#""apps": {}"#, providers: #""providers": {"sim": {"type": "simulated", "settings": {"latency": {"deploy": "fast"}}}}"#), path: "providers.sim.settings.latency.deploy", message: "is not a latency"),
        Case(name: "unknown latency operation", text: blueprint(#""apps": {}"#, providers: #""providers": {"sim": {"type": "simulated", "settings": {"latency": {"deplo": "1ms"}}}}"#), path: "providers.sim.settings.latency.deplo", message: "unknown operation (did you mean deploy?)"),
        Case(name: "failure for an unknown app", text: blueprint(#""apps": {"web": "# + app() + "}", providers: #""providers": {"sim": {"type": "simulated", "settings": {"failures": {"deploy": ["wbe"]}}}}"#), path: "providers.sim.settings.failures.deploy[0]", message: "unknown app \"wbe\" (did you mean web?)"),
        Case(name: "network on an unknown provider", text: blueprint(#""apps": {}, "networks": {"n1": {"provider": "x", "vlan": 10}}"#), path: "networks.n1.provider", message: "unknown provider \"x\""),
        Case(name: "VLAN out of range", text: blueprint(#""apps": {}, "networks": {"n1": {"provider": "sim", "vlan": 4095}}"#), path: "networks.n1.vlan", message: "VLAN 4095 is outside 2-4094"),
        Case(name: "VLAN outside the provider's range", text: blueprint(#""apps": {}, "networks": {"n1": {"provider": "sim", "vlan": 50}}"#, providers: #""providers": {"sim": {"type": "simulated", "settings": {"vlanRange": "100-199"}}}"#), path: "networks.n1.vlan", message: "outside the provider's vlanRange 100-199"),
        Case(name: "two networks with one VLAN", text: blueprint(#""apps": {}, "networks": {"a": {"provider": "sim", "vlan": 10}, "b": {"provider": "sim", "vlan": 10}}"#), path: "networks.b.vlan", message: "VLAN 10 is already used by network \"a\""),
        Case(name: "subnet on an L2 provider", text: blueprint(#""apps": {}, "networks": {"a": {"provider": "sim", "subnet": "10.0.0.0/24"}}"#), path: "networks.a.subnet", message: "is for L3 providers"),
        Case(name: "malformed subnet", text: blueprint(#""apps": {}, "networks": {"a": {"provider": "sky", "subnet": "10.0.0/24"}}"#, providers: l3), path: "networks.a.subnet", message: "is not a valid subnet"),
        Case(name: "subnet outside the provider's CIDR", text: blueprint(#""apps": {}, "networks": {"a": {"provider": "sky", "subnet": "10.9.0.0/24"}}"#, providers: #""providers": {"sky": {"type": "simulated", "connectivity": "L3", "settings": {"cidr": "10.0.0.0/24"}}}"#), path: "networks.a.subnet", message: "outside the provider's CIDR 10.0.0.0/24"),
        Case(name: "overlapping subnets", text: blueprint(#""apps": {}, "networks": {"a": {"provider": "sky", "subnet": "10.0.0.0/24"}, "b": {"provider": "sky", "subnet": "10.0.0.128/25"}}"#, providers: l3), path: "networks.b.subnet", message: "overlaps network \"a\""),
        Case(name: "network name clashes with an app", text: blueprint(#""apps": {"web": "# + app() + #"}, "networks": {"web": {"provider": "sim", "vlan": 10}}"#), path: "networks.web", message: "also an app's"),
        Case(name: "connector to an unknown name", text: blueprint(#""apps": {"web": "# + app() + #"}, "connectors": [{"from": "web", "to": "bakend"}]"#), path: "connectors[0].to", message: "unknown app or network \"bakend\""),
        Case(name: "the same connector twice", text: blueprint(#""apps": {"web": "# + app() + #"}, "networks": {"n": {"provider": "sim", "vlan": 10}}, "connectors": [{"from": "web", "to": "n"}, {"from": "n", "to": "web"}]"#), path: "connectors[1]", message: "the same connector as connectors[0]"),
        Case(name: "trunk mode on L3", text: blueprint(#""apps": {"web": {"deploymentPath": {"provider": "sky", "deploymentType": "s"}}}, "networks": {"n": {"provider": "sky", "subnet": "10.0.1.0/24"}}, "connectors": [{"from": "web", "to": "n", "mode": "trunk"}]"#, providers: l3), path: "connectors[0].mode", message: "\"mode\" applies to VLANs on L2 providers"),
        Case(name: "more networks than VLAN ids", text: blueprint(#""apps": {"a": "# + app() + #", "b": "# + app() + #"}, "networks": {"n1": {"provider": "sim", "vlan": "auto"}, "n2": {"provider": "sim", "vlan": 101}}, "connectors": [{"from": "a", "to": "b"}]"#, providers: #""providers": {"sim": {"type": "simulated", "settings": {"vlanRange": "100-101"}}}"#), path: "networks", message: "needs 3 VLAN ids (2 networks, 1 app-to-app links) but its range 100-101 has 2"),
        Case(name: "connector across providers", text: blueprint(#""apps": {"web": "# + app() + #"}, "networks": {"n": {"provider": "sky", "subnet": "10.0.1.0/24"}}, "connectors": [{"from": "web", "to": "n"}]"#, providers: #""providers": {"sim": {"type": "simulated"}, "sky": {"type": "simulated", "connectivity": "L3"}}"#), path: "connectors[0]", message: "the ends are on different providers"),
        Case(name: "connectors not an array", text: blueprint(#""apps": {}, "connectors": {}"#), path: "connectors", message: "expected an array of connectors"),
        Case(name: "deployment type with a newline", text: blueprint(#""apps": {"web": {"deploymentPath": {"provider": "sim", "deploymentType": "small\nrm -rf"}}}"#), path: "apps.web.deploymentPath.deploymentType", message: "expected no control characters or line breaks"),
        Case(name: "deployment type with an escape sequence", text: blueprint(#""apps": {"web": {"deploymentPath": {"provider": "sim", "deploymentType": "\u001b[2J"}}}"#), path: "apps.web.deploymentPath.deploymentType", message: "expected no control characters"),
        Case(name: "retries out of range", text: blueprint(#""apps": {}"#, providers: #""providers": {"sim": {"type": "simulated", "retries": 0}}"#), path: "providers.sim.retries", message: "0 is out of range; expected 1...100"),
        Case(name: "concurrency of the wrong type", text: blueprint(#""apps": {}"#, providers: #""providers": {"sim": {"type": "simulated", "concurrency": "4"}}"#), path: "providers.sim.concurrency", message: "expected a whole number"),
        Case(name: "a negative request rate", text: blueprint(#""apps": {}"#, providers: #""providers": {"sim": {"type": "simulated", "requestsPerSecond": -1}}"#), path: "providers.sim.requestsPerSecond", message: "above 0"),
        Case(name: "a process key on a simulated provider", text: blueprint(#""apps": {}"#, providers: #""providers": {"sim": {"type": "simulated", "command": ["x"]}}"#), path: "providers.sim.command", message: "is for providers of type \"process\""),
        Case(name: "throttle of 1 or more", text: blueprint(#""apps": {}"#, providers: #""providers": {"sim": {"type": "simulated", "settings": {"throttle": 1}}}"#), path: "providers.sim.settings.throttle", message: "from 0 to under 1"),
        Case(name: "vmDetails is not an operation", text: blueprint(#""apps": {}"#, providers: #""providers": {"sim": {"type": "simulated", "settings": {"failures": {"vmDetails": ["x"]}}}}"#), path: "providers.sim.settings.failures.vmDetails", message: "unknown operation"),
        Case(name: "vmDetails takes no timeout", text: blueprint(#""apps": {}"#, providers: #""providers": {"p": {"type": "process", "command": ["x"], "timeouts": {"vmDetails": "1s"}}}"#), path: "providers.p.timeouts.vmDetails", message: "unknown operation"),
    ]

    @Test("reports the problem with its path", arguments: cases)
    func reports(_ c: Case) {
        do {
            _ = try BlueprintDecoder.decode(Array(c.text.utf8), file: "lab.json", types: BuiltIn.providerTypes)
            Issue.record("accepted: \(c.name)")
        } catch {
            guard case .invalid(let diagnostics) = error else { Issue.record("unexpected \(error)"); return }
            let match = diagnostics.first { $0.path == c.path && $0.message.contains(c.message) }
            #expect(match != nil, "\(c.name): got \(diagnostics.map(\.description))")
            if let position = c.position { #expect(match?.position == position, "\(c.name)") }
            #expect(diagnostics.allSatisfy { $0.file == "lab.json" })
        }
    }

    @Test("lists every problem at once")
    func listsAll() {
        let text = Self.blueprint(#""apps": {"web": {"deploymentPth": {}}, "db": {"deploymentPath": {"provider": "nope", "deploymentType": "x"}, "power": 1}}, "extra": 1"#)
        do throws(BlueprintError) {
            _ = try BlueprintDecoder.decode(Array(text.utf8), file: "lab.json", types: BuiltIn.providerTypes)
            Issue.record("accepted")
        } catch {
            guard case .invalid(let d) = error else {
                Issue.record("expected every problem listed, got \(error)")
                return
            }
            // apps.web's missing deploymentPath is the misspelling, reported once.
            #expect(Set(d.map(\.path)) == ["extra", "apps.web.deploymentPth", "apps.db.deploymentPath.provider", "apps.db.power"])
        }
    }

    @Test("one bad value is reported as its first cause, not again in what follows from it", arguments: [
        // A provider of an unknown type: its apps, networks and connectors name it.
        ("type", #""providers": {"aws": {"type": "ec3", "connectivity": "L3", "settings": {"cidr": "10.0.0.0/16"}}}, "apps": {"web": {"deploymentPath": {"provider": "aws", "deploymentType": "instance", "attributes": {"AMI": "ami-12345678"}}}}, "networks": {"pub": {"provider": "aws", "subnet": "10.0.1.0/24"}}, "connectors": [{"from": "web", "to": "pub"}]"#,
         "providers.aws.type"),
        // A misspelt deploymentPath: the app is not decoded, and a connector names it.
        ("app", #""providers": {"sim": {"type": "simulated", "connectivity": "L2"}}, "apps": {"web": {"deploymentPth": {}}}, "networks": {"lan": {"provider": "sim", "vlan": 100}}, "connectors": [{"from": "web", "to": "lan"}]"#,
         "apps.web.deploymentPth"),
    ])
    func firstCause(_ name: String, _ body: String, _ path: String) {
        let text = #"{"version": 1, "name": "lab", "# + body + "}"
        do throws(BlueprintError) {
            _ = try BlueprintDecoder.decode(Array(text.utf8), file: "lab.json", types: BuiltIn.providerTypes)
            Issue.record("accepted")
        } catch {
            guard case .invalid(let d) = error else {
                Issue.record("\(error)")
                return
            }
            #expect(d.map(\.path) == [path], "\(name): \(d)")
        }
    }

    @Test("an ec2 app connected to no subnet is refused by validate, at its line; the simulated cloud gives it a default subnet")
    func ec2NeedsSubnet() throws {
        let apps = #""apps": {"web": {"deploymentPath": {"provider": "p", "deploymentType": "instance", "attributes": {"AMI": "ami-12345678"}}},"#
            + "\n" + #" "db": {"deploymentPath": {"provider": "p", "deploymentType": "instance", "attributes": {"AMI": "ami-12345678"}}}}, "networks": {"pub": {"provider": "p", "subnet": "10.0.1.0/24"}}, "connectors": [{"from": "web", "to": "pub"}]"#
        let ec2 = #"{"version": 1, "name": "lab", "providers": {"p": {"type": "ec2", "connectivity": "L3", "settings": {"region": "us-east-1", "cidr": "10.0.0.0/16"}}}, "# + apps + "}"
        let error = #expect(throws: BlueprintError.self) { try BlueprintDecoder.decode(Array(ec2.utf8), file: "lab.json", types: BuiltIn.providerTypes) }
        #expect(error?.description.contains("lab.json:2:2: apps.db: is connected to no subnet; on provider \"p\" (ec2) every app needs a connector to one of its networks (pub)") == true,
                "\(String(describing: error))")
        let simulated = ec2.replacingOccurrences(of: #""type": "ec2""#, with: #""type": "simulated""#)
            .replacingOccurrences(of: #""settings": {"region": "us-east-1", "cidr": "10.0.0.0/16"}"#, with: #""settings": {"cidr": "10.0.0.0/16"}"#)
        #expect(throws: Never.self) { try BlueprintDecoder.decode(Array(simulated.utf8), file: "lab.json", types: BuiltIn.providerTypes) }
    }

    @Test("an attribute a provider type refuses is placed at its line and column")
    func ec2AttributePosition() {
        let text = #"{"version": 1, "name": "lab", "providers": {"p": {"type": "ec2", "connectivity": "L3", "settings": {"region": "us-east-1"}}},"#
            + "\n" + #" "apps": {"web": {"deploymentPath": {"provider": "p", "deploymentType": "instance", "attributes": {"AMI": "ami-12"}}}}, "networks": {"pub": {"provider": "p", "subnet": "10.0.1.0/24"}}, "connectors": [{"from": "web", "to": "pub"}]}"#
        let error = #expect(throws: BlueprintError.self) { try BlueprintDecoder.decode(Array(text.utf8), file: "lab.json", types: BuiltIn.providerTypes) }
        #expect(error?.description.contains("lab.json:2:107: apps.web.deploymentPath.attributes.AMI: \"ami-12\" is not an AMI id") == true, "\(String(describing: error))")
    }

    @Test("a message reads file:line:column: path: problem")
    func messageFormat() {
        let text = "{\"version\": 1, \"name\": \"lab\", \"providers\": {},\n \"apps\": {\"web\": {\"deploymentPth\": {}}}}"
        let error = #expect(throws: BlueprintError.self) { try BlueprintDecoder.decode(Array(text.utf8), file: "lab.json", types: BuiltIn.providerTypes) }
        #expect(error?.description.contains("lab.json:2:19: apps.web.deploymentPth: unknown key (did you mean deploymentPath?)") == true,
                "\(String(describing: error))")
    }

    @Test("a valid blueprint gets its defaults")
    func defaults() throws {
        let text = Self.blueprint(#""apps": {"web": "# + Self.app() + "}")
        let b = try BlueprintDecoder.decode(Array(text.utf8), file: "lab.json", types: BuiltIn.providerTypes)
        #expect(b.apps["web"]?.power == .on)
        #expect(b.apps["web"]?.waitForIP == true)
        #expect(b.providers["sim"]?.connectivity == .l2)
    }

    @Test("formatting and key order do not change the canonical digest")
    func digestIsCanonical() throws {
        let a = try BlueprintDecoder.decode(Array(Self.blueprint(#""apps": {"a": "# + Self.app() + #", "b": "# + Self.app() + "}").utf8), file: "x", types: BuiltIn.providerTypes)
        let b = try BlueprintDecoder.decode(Array(("{\n\"apps\": {\"b\": " + Self.app() + ", \"a\": " + Self.app() + "}, \"name\": \"lab\", \"version\": 1, " + Self.provider + "}").utf8), file: "x", types: BuiltIn.providerTypes)
        #expect(a.canonicalDigest == b.canonicalDigest)
        #expect(a.digest != b.digest, "a saved plan is checked against the file's own bytes")
    }

    @Test("a blueprint a command already read and parsed is used for its own path, and only for it")
    func preread() throws {
        let dir = TempDirectory()
        let onDisk = Self.blueprint(#""apps": {}"#).replacingOccurrences(of: #""name": "lab""#, with: #""name": "disk""#)
        dir.write("lab.json", onDisk)
        let text = Self.blueprint(#""apps": {"a": "# + Self.app() + "}")
        let bytes = Array(text.utf8)
        let parsed = ParsedFile(path: dir.file("lab.json"), bytes: bytes, root: try JSONReader.parse(bytes))
        let used = try BlueprintDecoder.load(path: dir.file("lab.json"), types: BuiltIn.providerTypes, preread: parsed)
        #expect(used.name == "lab" && used.apps.keys.sorted() == ["a"] && used.digest == SHA256.hex(bytes))
        let other = try BlueprintDecoder.load(path: dir.file("lab.json"), types: BuiltIn.providerTypes, preread: ParsedFile(path: dir.file("other.json"), bytes: bytes, root: parsed.root))
        #expect(other.name == "disk" && other.apps.isEmpty)
    }

    @Test("a file that is not UTF-8 is refused")
    func notUTF8() {
        var bytes = Array(Self.blueprint(#""apps": {}"#).utf8)
        bytes.insert(0xFF, at: 3)
        #expect(throws: BlueprintError.self) { try BlueprintDecoder.decode(bytes, file: "lab.json", types: BuiltIn.providerTypes) }
    }

    @Test("huge and deeply nested input is refused without a crash")
    func hugeInput() {
        let deep = "{\"version\": 1, \"name\": \"x\", \"providers\": " + String(repeating: "[", count: 200_000) + "}"
        #expect(throws: BlueprintError.self) { try BlueprintDecoder.decode(Array(deep.utf8), file: "lab.json", types: BuiltIn.providerTypes) }
    }
}
