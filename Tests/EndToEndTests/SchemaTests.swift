import Foundation
import Testing
import FirmTestSupport

/// `firm schema`, checked by Python's jsonschema (Draft 2020-12) against the blueprints firm
/// accepts and a table of those it refuses.
@Suite("End to end: firm schema agrees with firm validate")
struct SchemaTests {
    /// The Python of the venv scripts/test makes with jsonschema (FIRM_JSONSCHEMA_PYTHON).
    static let python = ProcessInfo.processInfo.environment["FIRM_JSONSCHEMA_PYTHON"].flatMap { $0.isEmpty ? nil : $0 }
    static let enabled = python != nil || ProcessInfo.processInfo.environment["CI"] != nil
    static let root = ProcessDriverTests.root
    static let committed = root.appendingPathComponent("schema/blueprint.schema.json").path

    /// What Python's jsonschema says of each file: its path, and nil or the first error.
    static func check(_ files: [String], schema: String) throws -> [String: String?] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(python, "scripts/test installs jsonschema and sets FIRM_JSONSCHEMA_PYTHON"))
        process.arguments = [root.appendingPathComponent("Tests/EndToEndTests/Fixtures/check_schema.py").path, schema] + files
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = ReadBox(out.fileHandleForReading), errors = ReadBox(err.fileHandleForReading)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(errors.text())")
        var result: [String: String?] = [:]
        for line in output.text().split(separator: "\n") {
            if line.hasPrefix("ok ") { result[String(line.dropFirst(3))] = .some(nil) }
            else if line.hasPrefix("refused "), let colon = line.range(of: ": ") {
                result[String(line[line.index(line.startIndex, offsetBy: 8)..<colon.lowerBound])] = String(line[colon.upperBound...])
            }
        }
        return result
    }

    @Test("firm schema prints the committed schema/blueprint.schema.json, and every example blueprint names it in \"$schema\"")
    func committedSchema() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        let printed = try firm.run(["schema"])
        #expect(printed.code == 0, "\(printed.output)")
        let file = try String(contentsOfFile: Self.committed, encoding: .utf8)
        #expect(printed.stdout == file, "schema/blueprint.schema.json is not what `firm schema` prints: run `firm schema > schema/blueprint.schema.json`")
        #expect(printed.stdout.contains("\"$schema\": \"https://json-schema.org/draft/2020-12/schema\""))
        for name in ["simulated", "process", "ec2", "linux"] { #expect(printed.stdout.contains("\"settings.\(name)\"")) }
        for example in try Self.examples() {
            let text = try String(contentsOfFile: example, encoding: .utf8)
            #expect(text.contains("\"$schema\": \"../schema/blueprint.schema.json\""), "\(example) does not name the schema")
        }
        #expect(try firm.run(["schema", "extra"]).code == 64)
        let help = try firm.run(["help", "schema"])
        #expect(help.code == 0 && help.stdout.contains("Usage: firm schema"))
    }

    static func examples() throws -> [String] {
        let folder = root.appendingPathComponent("blueprints").path
        return try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".json") }.sorted().map { folder + "/" + $0 }
    }

    @Test("every example blueprint and the tests' own blueprints pass both firm validate and the schema", .enabled(if: enabled))
    func acceptedBlueprints() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        var files = try Self.examples()
        let ours: [(String, String)] = [("lab.json", Blueprints.lab()), ("lab-latency.json", Blueprints.lab(failures: "{\"deploy\": [\"db\"]}", latency: "{\"deploy\": \"10ms..20ms\"}")),
                                         ("sample.json", Self.sample),
                                         ("with-schema.json", "{\n  \"$schema\": \"https://example.com/blueprint.schema.json\"," + Self.sample.dropFirst(1))]
        for (name, text) in ours {
            firm.write(name, text)
            files.append(firm.path(name))
        }
        for file in files {
            let validate = try firm.run(["validate", file], environment: Blueprints.secretEnv)
            #expect(validate.code == 0, "\(file): \(validate.output)")
        }
        let results = try Self.check(files, schema: Self.committed)
        for file in files { #expect(results[file] == .some(nil), "\(file): \(String(describing: results[file]))") }
    }

    /// A blueprint with every kind of provider, network and connector.
    static let sample = """
        {
          "version": 1, "name": "lab", "ttl": "2h",
          "providers": {
            "sim": {"type": "simulated", "connectivity": "L2", "retries": 3, "concurrency": 8, "requestsPerSecond": 0.5,
                    "settings": {"cidr": "10.9.0.0/24", "vlanRange": "100-199", "throttle": 0.1, "latency": {"deploy": "10ms..20ms"},
                                 "failures": {"powerOn": ["web"]}}},
            "sky": {"type": "simulated", "connectivity": "L3", "settings": {"cidr": "10.1.0.0/16"}},
            "drv": {"type": "process", "command": ["python3", "driver.py"], "timeouts": {"deploy": "30s", "default": "1m"},
                    "settings": {"zone": "a", "size": 3, "fast": true, "token": {"env": "DRV_TOKEN"}}},
            "aws": {"type": "ec2", "connectivity": "L3", "settings": {"region": "us-east-1", "cidr": "10.2.0.0/16", "endpoint": "http://127.0.0.1:5055",
                    "accessKeyId": {"env": "AWS_ACCESS_KEY_ID"}, "pollInterval": "1s", "nameInstances": true, "catalogImages": ["ami-12345678"]}},
            "box": {"type": "linux", "settings": {"cidr": "10.77.0.0/24", "bridge": "firm-lab", "vlanRange": "2-4094"}}
          },
          "apps": {
            "web": {"deploymentPath": {"provider": "sim", "deploymentType": "small", "attributes": {"Disk": "20"}}, "power": "off", "waitForIP": false},
            "db": {"deploymentPath": {"provider": "sky", "deploymentType": "large"}, "attributes": {"Password": {"env": "LAB_DB_PASSWORD"}}},
            "job": {"deploymentPath": {"provider": "drv", "deploymentType": "anything"}},
            "vm": {"deploymentPath": {"provider": "aws", "deploymentType": "instance", "attributes": {"AMI": "ami-0abcdef1234567890", "InstanceType": "t3.micro", "DiskGiB": "8"}}},
            "ns": {"deploymentPath": {"provider": "box", "deploymentType": "netns", "attributes": {"Command": "sleep 1000"}}}
          },
          "networks": {
            "front": {"provider": "sim", "vlan": 110}, "auto1": {"provider": "sim", "vlan": "auto"},
            "back": {"provider": "sky", "subnet": "10.1.1.0/24", "public": true},
            "pub": {"provider": "aws", "subnet": "10.2.1.0/24"}
          },
          "connectors": [{"from": "web", "to": "front", "mode": "trunk"}, {"from": "db", "to": "back"}, {"from": "web", "to": "auto1"}, {"from": "vm", "to": "pub"}]
        }
        """

    /// A broken blueprint: `sample` with `old` replaced by `new`, and whether a schema can refuse
    /// it (nil) or which rule of docs/blueprint.md's list it breaks.
    struct Broken: CustomTestStringConvertible {
        var name: String
        var old: String
        var new: String
        var unstatable: String?
        var testDescription: String { name }

        init(_ name: String, _ old: String, _ new: String, unstatable: String? = nil) {
            self.name = name
            self.old = old
            self.new = new
            self.unstatable = unstatable
        }
    }

    static let broken: [Broken] = [
        Broken("an unknown top-level key", "\"ttl\": \"2h\"", "\"tll\": \"2h\""),
        Broken("\"$schema\" that is not text", "\"ttl\": \"2h\"", "\"$schema\": 5"),
        Broken("a missing name", "\"name\": \"lab\", ", ""),
        Broken("format version 2", "\"version\": 1", "\"version\": 2"),
        Broken("a blueprint name that is not a name", "\"name\": \"lab\"", "\"name\": \"1lab\""),
        Broken("a ttl that is not a duration", "\"ttl\": \"2h\"", "\"ttl\": \"forever\""),
        Broken("an app name with a space", "\"job\": {", "\"my job\": {"),
        Broken("an unknown provider type", "\"type\": \"linux\"", "\"type\": \"lxc\""),
        Broken("connectivity L4", "\"connectivity\": \"L2\"", "\"connectivity\": \"L4\""),
        Broken("ec2 as L2", "\"type\": \"ec2\", \"connectivity\": \"L3\"", "\"type\": \"ec2\", \"connectivity\": \"L2\""),
        Broken("a process provider without its command", "\"command\": [\"python3\", \"driver.py\"], ", ""),
        Broken("a simulated provider with a command", "\"type\": \"simulated\", \"connectivity\": \"L3\"", "\"type\": \"simulated\", \"command\": [\"x\"], \"connectivity\": \"L3\""),
        Broken("a process command that is empty", "[\"python3\", \"driver.py\"]", "[]"),
        Broken("a timeout for an unknown operation", "\"timeouts\": {\"deploy\"", "\"timeouts\": {\"deplyo\""),
        Broken("retries 0", "\"retries\": 3", "\"retries\": 0"),
        Broken("requestsPerSecond 0", "\"requestsPerSecond\": 0.5", "\"requestsPerSecond\": 0"),
        Broken("an unknown simulated setting", "\"throttle\": 0.1", "\"throttel\": 0.1"),
        Broken("a throttle of 1", "\"throttle\": 0.1", "\"throttle\": 1"),
        Broken("a latency for an unknown operation", "\"latency\": {\"deploy\"", "\"latency\": {\"deplo\""),
        Broken("a latency that is not a duration", "{\"deploy\": \"10ms..20ms\"}", "{\"deploy\": \"soon\"}"),
        Broken("a CIDR with prefix /33", "\"cidr\": \"10.9.0.0/24\"", "\"cidr\": \"10.9.0.0/33\""),
        Broken("a vlanRange that is not a range", "\"vlanRange\": \"100-199\"", "\"vlanRange\": \"100\""),
        Broken("an ec2 credential written in the blueprint", "\"accessKeyId\": {\"env\": \"AWS_ACCESS_KEY_ID\"}", "\"accessKeyId\": \"AKIA0000\""),
        Broken("an ec2 region that is not one", "\"region\": \"us-east-1\"", "\"region\": \"Mars\""),
        Broken("an ec2 catalog image that is not an AMI", "[\"ami-12345678\"]", "[\"img-1\"]"),
        Broken("a linux bridge prefix too long", "\"bridge\": \"firm-lab\"", "\"bridge\": \"firmament-lab\""),
        Broken("an app without a deployment path", "\"job\": {\"deploymentPath\": {\"provider\": \"drv\", \"deploymentType\": \"anything\"}}", "\"job\": {}"),
        Broken("a deployment path without its type", ", \"deploymentType\": \"anything\"", ""),
        Broken("an empty deployment type", "\"deploymentType\": \"anything\"", "\"deploymentType\": \"\""),
        Broken("power maybe", "\"power\": \"off\"", "\"power\": \"maybe\""),
        Broken("waitForIP as text", "\"waitForIP\": false", "\"waitForIP\": \"no\""),
        Broken("an attribute that is a number", "{\"Disk\": \"20\"}", "{\"Disk\": 20}"),
        Broken("an env name that is not one", "{\"env\": \"LAB_DB_PASSWORD\"}", "{\"env\": \"1PASSWORD\"}"),
        Broken("an env reference with another key", "{\"env\": \"LAB_DB_PASSWORD\"}", "{\"env\": \"LAB_DB_PASSWORD\", \"default\": \"x\"}"),
        Broken("a VLAN id of 5000", "\"vlan\": 110", "\"vlan\": 5000"),
        Broken("a VLAN that is neither an id nor auto", "\"vlan\": \"auto\"", "\"vlan\": \"any\""),
        Broken("a network with an unknown key", "\"public\": true", "\"pubic\": true"),
        Broken("a connector without its to", "{\"from\": \"db\", \"to\": \"back\"}", "{\"from\": \"db\"}"),
        Broken("a connector mode hybrid", "\"mode\": \"trunk\"", "\"mode\": \"hybrid\""),

        Broken("an app on an unknown provider", "\"provider\": \"drv\", \"deploymentType\"", "\"provider\": \"nope\", \"deploymentType\"",
               unstatable: "an app's, network's or connector's reference names one of the blueprint's providers, apps or networks"),
        Broken("a connector to an unknown app", "{\"from\": \"db\", \"to\": \"back\"}", "{\"from\": \"dbb\", \"to\": \"back\"}",
               unstatable: "an app's, network's or connector's reference names one of the blueprint's providers, apps or networks"),
        Broken("an ec2 app connected to no subnet", ", {\"from\": \"vm\", \"to\": \"pub\"}", "",
               unstatable: "every app of an `ec2` provider is connected to one of that provider's subnets"),
        Broken("an ec2 app without an AMI", "\"AMI\": \"ami-0abcdef1234567890\", ", "",
               unstatable: "an app's deploymentType and attributes follow its provider's type"),
        Broken("a linux app with another deployment type", "\"deploymentType\": \"netns\"", "\"deploymentType\": \"vm\"",
               unstatable: "an app's deploymentType and attributes follow its provider's type"),
        Broken("a network with the name of an app", "\"auto1\": {", "\"web\": {",
               unstatable: "apps and networks share one namespace"),
        Broken("a subnet on an L2 provider", "\"auto1\": {\"provider\": \"sim\", \"vlan\": \"auto\"}", "\"auto1\": {\"provider\": \"sim\", \"subnet\": \"10.9.0.0/28\"}",
               unstatable: "a network takes vlan on an L2 provider and subnet (and public) on an L3 one"),
        Broken("a VLAN used twice", "\"vlan\": \"auto\"", "\"vlan\": 110", unstatable: "each VLAN id and subnet is used once per provider; subnets don't overlap"),
        Broken("a subnet outside the provider's CIDR", "\"subnet\": \"10.1.1.0/24\"", "\"subnet\": \"10.200.1.0/24\"",
               unstatable: "a subnet lies inside its provider's cidr; a fixed VLAN inside its vlanRange"),
        Broken("a subnet with host bits", "\"subnet\": \"10.1.1.0/24\"", "\"subnet\": \"10.1.1.7/24\"",
               unstatable: "a CIDR has no host bits set, and its prefix is within the bounds its setting allows"),
        Broken("a vlanRange that runs backwards", "\"vlanRange\": \"100-199\"", "\"vlanRange\": \"199-100\"", unstatable: "a vlanRange's low end is at most its high end"),
        Broken("failures naming an unknown app", "\"powerOn\": [\"web\"]", "\"powerOn\": [\"wbe\"]",
               unstatable: "an app's, network's or connector's reference names one of the blueprint's providers, apps or networks"),
        Broken("a connector between an app and itself", "{\"from\": \"db\", \"to\": \"back\"}", "{\"from\": \"db\", \"to\": \"db\"}",
               unstatable: "a connector joins two different names, at least one an app, on one provider, once"),
        Broken("version 1.0", "\"version\": 1", "\"version\": 1.0", unstatable: "whole numbers are written without a fraction or exponent"),
        Broken("a poll interval of a day", "\"pollInterval\": \"1s\"", "\"pollInterval\": \"1d\"",
               unstatable: "a duration lies within its setting's bounds (ttl at most 100d, pollInterval 50ms to 60s, requestTimeout 1s to 10m)"),
        Broken("a duplicate key", "\"ttl\": \"2h\"", "\"ttl\": \"2h\", \"ttl\": \"3h\"", unstatable: "no object has a key twice"),
    ]

    @Test("what firm validate refuses, the schema refuses, except the rules docs/blueprint.md lists as beyond a schema", .enabled(if: enabled))
    func brokenBlueprints() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        var files: [String: Broken] = [:]
        for (i, broken) in Self.broken.enumerated() {
            #expect(Self.sample.contains(broken.old), "\(broken.name): the sample has no \(broken.old)")
            let file = firm.path("broken-\(i).json")
            firm.write("broken-\(i).json", Self.sample.replacingOccurrences(of: broken.old, with: broken.new))
            files[file] = broken
            let validate = try firm.run(["validate", file], environment: Blueprints.secretEnv)
            #expect(validate.code == 1, "firm validate accepts \(broken.name): \(validate.output)")
        }
        let results = try Self.check(files.keys.sorted(), schema: Self.committed)
        let documented = try String(contentsOfFile: Self.root.appendingPathComponent("docs/blueprint.md").path, encoding: .utf8)
        for (file, broken) in files {
            if let rule = broken.unstatable {
                #expect(results[file] == .some(nil), "the schema refuses \(broken.name), which the table says it can't: \(String(describing: results[file]))")
                #expect(documented.contains(rule), "docs/blueprint.md does not list the rule \(quoted(rule))")
            } else {
                #expect(results[file] != nil && results[file] != .some(nil), "the schema accepts \(broken.name)")
            }
        }
    }
}

private func quoted(_ text: String) -> String { "\"\(text)\"" }
