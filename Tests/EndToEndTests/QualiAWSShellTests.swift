import Foundation
import Testing
@testable import FirmBase
@testable import FirmModel
@testable import FirmProcess
@testable import Firmament
import FirmTestSupport

/// Quali's published Amazon AWS Cloud Provider Shell 2G, its driver.py byte for byte on its own
/// pins (cloudshell-cp-aws 3.6.3), run through examples/cloudshell-host/host.py by the built
/// `firm`, against moto's server with signature checking on. The shell's files are in
/// ../shared/testdata/quali-aws-shell-2g ($FIRM_QUALI_AWS_SHELL) and are never edited; its venv
/// is made by scripts/test ($FIRM_AWS_SHELL_PYTHON). moto runs through
/// Fixtures/moto_ec2_standin.py, which adds two behaviours of real EC2 the shell's cleanup needs.
@Suite("End to end: Quali's AWS shell through the host", .serialized)
struct QualiAWSShellTests {
    static let environment = ProcessInfo.processInfo.environment
    static let folder = environment["FIRM_QUALI_AWS_SHELL"]
        ?? ProcessDriverTests.root.deletingLastPathComponent().appendingPathComponent("shared/testdata/quali-aws-shell-2g").path
    static let python = environment["FIRM_AWS_SHELL_PYTHON"]
    /// Under CI, and whenever scripts/test runs it (it names the shell's folder): a missing shell
    /// or venv fails the test rather than skipping it.
    static let required = MotoServer.required && (environment["CI"] == "true" || environment["FIRM_QUALI_AWS_SHELL"] != nil || python != nil)

    static let fixture = ProcessDriverTests.root.appendingPathComponent("Tests/EndToEndTests/Fixtures/aws_sandbox.py").path
    static let standin = ProcessDriverTests.root.appendingPathComponent("Tests/EndToEndTests/Fixtures/moto_ec2_standin.py").path
    static let host = ProcessDriverTests.root.appendingPathComponent("examples/cloudshell-host/host.py").path
    static let power = ProcessDriverTests.root.appendingPathComponent("examples/cloudshell-host/power/aws_ec2.py").path
    static let model = "Amazon AWS Cloud Provider 2G"
    static let deploymentPath = "\(model).Amazon AWS EC2 Instance 2G"
    static let bucket = "firm-sandbox-keypairs"

    /// The shell's commit and version, from the folder's README and shell-definition.yaml.
    static func provenance() throws -> (commit: String, version: String) {
        let readme = try String(contentsOfFile: folder + "/README.md", encoding: .utf8)
        let definition = try String(contentsOfFile: folder + "/shell-definition.yaml", encoding: .utf8)
        let commit = readme.firstMatch(of: /[0-9a-f]{40}/).map { String($0.output) } ?? "(no commit named in README.md)"
        let version = definition.firstMatch(of: /template_version:\s*([0-9.]+)/).map { String($0.output.1) } ?? "(no template_version)"
        return (commit, version)
    }

    /// The 17 provider attributes, as CloudShell's AWS set-up leaves them (VPC Mode Dynamic).
    static func settings(_ seed: Seed, secret: String, key: String) -> [(String, String)] {
        [("Region", "us-east-1"), ("AWS Mgmt SG ID", seed.group), ("AWS Mgmt VPC ID", seed.vpc), ("Keypairs Location", bucket),
         ("Max Storage Size", "0"), ("Max Storage IOPS", "0"), ("Networks in use", seed.cidr), ("Instance Type", "t2.micro"),
         ("VPC Mode", "Dynamic"), ("Static VPC CIDR", ""), ("Shared VPC ID", ""), ("Shared VPC Role Arn", ""),
         ("AWS Secret Access Key", secret), ("AWS Access Key ID", key), ("Transit Gateway ID", ""),
         ("Additional Management Networks", ""), ("VPN Gateway ID", ""), ("VPN CIDRs", "")]
    }

    /// Every attribute of the shell's deployment path, at deployments/deployment-path.yaml's
    /// defaults, with an AMI moto has and no wait for Windows credentials.
    static func deploymentAttributes(publicIP: String = "No Public IP") -> [(String, String)] {
        [("AWS AMI Id", "ami-760aaa0f"), ("Allow all Sandbox Traffic", "True"), ("Instance Type", ""), ("IAM Role Name", ""),
         ("Create New Role", "False"), ("Policies ARNs For New Role", ""), ("Inbound Ports", ""), ("Public IP Options", publicIP),
         ("Storage Size", "0"), ("Storage IOPS", "0"), ("Static Security Group Id", ""), ("Storage Type", "auto"),
         ("Storage Encryption Key", ""), ("Root Volume Name", ""), ("Autoload", "True"), ("Wait for IP", "False"),
         ("Wait for Status Check", "False"), ("Wait for Credentials", "False"), ("Custom Tags", ""), ("User Data URL", ""),
         ("User Data Parameters", ""), ("Private IP", ""), ("Enable Source Dest Check", "True"), ("Status Check Timeout", "0")]
            .map { ("\(deploymentPath).\($0.0)", $0.1) }
    }

    static func command(_ python: String) -> [String] {
        [python, host, "--model", model, "--vm-networks-all", "--power", "\(power):power", "\(folder)/src/driver.py:AmazonAwsCloudProviderShell2GDriver"]
    }

    static func quoted(_ text: String) -> String {
        let data = try! JSONSerialization.data(withJSONObject: [text])
        return String(decoding: data, as: UTF8.self).dropFirst().dropLast().description
    }

    /// The blueprint: web on a public subnet with an elastic IP, db on a private one (and
    /// worker beside it when asked); the keys come from the environment.
    static func blueprint(_ python: String, _ seed: Seed, worker: Bool = false) -> String {
        func object(_ pairs: [(String, String)]) -> String { "{" + pairs.map { "\(quoted($0.0)): \(quoted($0.1))" }.joined(separator: ", ") + "}" }
        var settings = settings(seed, secret: "", key: "").filter { !$0.0.hasPrefix("AWS Secret") && !$0.0.hasPrefix("AWS Access") }
        settings.append(("cidr", "10.1.0.0/16"))
        let keys = #""AWS Access Key ID": {"env": "AWS_ACCESS_KEY_ID"}, "AWS Secret Access Key": {"env": "AWS_SECRET_ACCESS_KEY"}"#
        func app(_ publicIP: String) -> String {
            #"{"deploymentPath": {"provider": "aws", "deploymentType": "# + quoted(deploymentPath) + #", "attributes": "#
                + object(deploymentAttributes(publicIP: publicIP)) + #"}, "attributes": {"User": "ubuntu", "Password": ""}}"#
        }
        let apps = [#""web": "# + app("Elastic IPs"), #""db": "# + app("No Public IP")] + (worker ? [#""worker": "# + app("No Public IP")] : [])
        let connectors = [#"{"from": "web", "to": "dmz"}"#, #"{"from": "db", "to": "private"}"#] + (worker ? [#"{"from": "worker", "to": "private"}"#] : [])
        return """
            {"version": 1, "name": "qaws",
             "providers": {"aws": {"type": "process", "connectivity": "L3", "command": [\(command(python).map(quoted).joined(separator: ", "))],
                                   "settings": \(object(settings).dropLast()), \(keys)}, "timeouts": {"default": "3m"}}},
             "apps": {\(apps.joined(separator: ",\n  "))},
             "networks": {"dmz": {"provider": "aws", "subnet": "10.1.1.0/24", "public": true},
                          "private": {"provider": "aws", "subnet": "10.1.2.0/24", "public": false}},
             "connectors": [\(connectors.joined(separator: ", "))]}
            """
    }

    struct Seed { var vpc: String, group: String, cidr: String }

    /// Runs the fixture with the shell's python against moto; its stdout.
    static func fixture(_ python: String, _ moto: MotoServer, _ arguments: [String]) throws -> String {
        let environment = environment.merging(moto.environment.merging(["AWS_ENDPOINT_URL": moto.endpoint]) { $1 }) { $1 }
        let run = try runChild(python, [fixture] + arguments, environment: environment)
        guard run.status == 0 else { throw SetupError("aws_sandbox.py \(arguments.joined(separator: " ")): \(run.stderr)") }
        return run.stdout
    }

    static func json(_ text: String) throws -> JSON { try JSONReader.parse(text).plain }

    /// The live instances' names.
    static func names(_ python: String, _ moto: MotoServer) throws -> [String] {
        try json(fixture(python, moto, ["instances"])).arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
    }

    @Test("Quali's AWS shell, unchanged: driver check, apply, a no-op plan, drift after TerminateInstances and StopInstances repaired, firm killed mid-deploy and the VM adopted once, destroy twice, nothing of the sandbox left in moto",
          .enabled(if: required), .timeLimit(.minutes(15)))
    func lifecycle() throws {
        try #require(FileManager.default.fileExists(atPath: Self.folder + "/src/driver.py"),
                     "Quali's AWS shell is missing: expected its files in \(Self.folder) (src/driver.py, src/requirements.txt, shell-definition.yaml); see ../shared/testdata")
        let python = try #require(Self.python, "scripts/test makes the shell's venv from its requirements and sets FIRM_AWS_SHELL_PYTHON")
        let (commit, version) = try Self.provenance()
        print("Quali's Amazon AWS Cloud Provider Shell 2G \(version), commit \(commit), from \(Self.folder), on \(python)")

        let moto = try MotoServer(script: Self.standin, allow: ["ec2:*", "s3:*", "iam:*"])
        defer { moto.stop() }
        let firm = FirmProcess()
        defer { firm.remove() }
        let env = moto.environment.merging(["AWS_ENDPOINT_URL": moto.endpoint]) { $1 }
        let seeded = try Self.json(Self.fixture(python, moto, ["seed", Self.bucket]))
        let seed = Seed(vpc: seeded["vpc"]?.stringValue ?? "", group: seeded["sg"]?.stringValue ?? "", cidr: seeded["cidr"]?.stringValue ?? "")
        let shell = "shell \(version) at \(commit)"

        // 1. firm driver check, with every provider and deployment-path attribute, empty ones too.
        let check = try firm.run(["driver", "check", "--connectivity", "L3"]
                                 + Self.settings(seed, secret: moto.secret, key: moto.accessKey).flatMap { ["--setting", "\($0.0)=\($0.1)"] }
                                 + ["--deployment-type", Self.deploymentPath]
                                 + Self.deploymentAttributes().flatMap { ["--deployment-attribute", "\($0.0)=\($0.1)"] }
                                 + ["--"] + Self.command(python), environment: env)
        #expect(check.code == 0 && check.stdout.contains(" 0 failed"), "\(shell): \(check.output)")
        #expect(check.stdout.contains("vmNames own"), "\(check.stdout)")

        // 2. apply, 3. a plan with nothing to do.
        firm.write("qaws.json", Self.blueprint(python, seed))
        let apply = try firm.run(["apply", "qaws.json", "--auto-approve"], environment: env)
        #expect(apply.code == 0, "\(shell): \(apply.output)")
        let first = try Self.names(python, moto)
        #expect(first.filter { $0.hasPrefix("web ") }.count == 1 && first.filter { $0.hasPrefix("db ") }.count == 1, "\(first)")
        let infra = try firm.run(["state", "show", "qaws.json", "provider.aws"], environment: env)
        #expect(infra.stdout.contains("\"networkId\": \"vpc-"), "the state records the sandbox's VPC: \(infra.stdout)")
        let web = try firm.run(["state", "show", "qaws.json", "app.web"], environment: env)
        #expect(web.stdout.contains("\"interface\": \"eni-"), "the interface is the ENI's id, not cp-aws's JSON: \(web.stdout)")
        let plan = try firm.run(["plan", "qaws.json", "--detailed-exitcode"], environment: env)
        #expect(plan.code == 0, "\(shell): \(plan.output)")

        // 4. Out of band: db terminated, web stopped. Drift sees both; apply repairs them.
        let db = try #require(first.first { $0.hasPrefix("db ") }), webName = try #require(first.first { $0.hasPrefix("web ") })
        _ = try Self.fixture(python, moto, ["terminate", db])
        _ = try Self.fixture(python, moto, ["stop", webName])
        let drift = try firm.run(["drift", "qaws.json"], environment: env)
        #expect(drift.code == 2, "\(shell): \(drift.output)")
        #expect(drift.stdout.contains("missing") && drift.stdout.contains("app.db"), "the terminated VM is missing: \(drift.stdout)")
        #expect(drift.stdout.contains("app.web") && drift.stdout.contains("power"), "the stopped VM's power: \(drift.stdout)")
        let repair = try firm.run(["apply", "qaws.json", "--auto-approve"], environment: env)
        #expect(repair.code == 0, "\(shell): \(repair.output)")
        let repaired = try Self.names(python, moto)
        #expect(repaired.filter { $0.hasPrefix("db ") }.count == 1 && !repaired.contains(db), "db is deployed again: \(repaired)")
        #expect(try firm.run(["plan", "qaws.json", "--detailed-exitcode"], environment: env).code == 0, "the plan is empty again")

        // 5. firm killed mid-deploy of worker: the host finishes it and journals it; the next
        // run adopts the VM the shell named, and deploys no second one.
        firm.write("qaws.json", Self.blueprint(python, seed, worker: true))
        let before = repaired.count
        let (process, _, _) = try firm.start(["apply", "qaws.json", "--auto-approve"], environment: env)
        #expect(waitUntil(.seconds(120)) { ((try? Self.json(Self.fixture(python, moto, ["instances"])).arrayValue?.count) ?? 0) > before },
                "worker's instance appears")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(waitUntil(.seconds(120)) { (firm.read(".firm/cloudshell-host/aws.jsonl") ?? "").contains("\"appName\": \"worker\"") },
                "the host journals the deploy it finished")
        let recover = try firm.run(["plan", "qaws.json"], environment: env)
        #expect(recover.stdout.contains("adopted VM worker "), "\(shell): \(recover.output)")
        let adopt = try firm.run(["apply", "qaws.json", "--auto-approve"], environment: env)
        #expect(adopt.code == 0, "\(shell): \(adopt.output)")
        let all = try Self.names(python, moto)
        #expect(all.filter { $0.hasPrefix("worker ") }.count == 1, "one worker VM, not two: \(all)")
        #expect(try firm.run(["plan", "qaws.json", "--detailed-exitcode"], environment: env).code == 0)

        // 6. destroy, 7. a second destroy with nothing to do, 8. nothing of the sandbox left.
        let destroy = try firm.run(["destroy", "qaws.json", "--auto-approve"], environment: env)
        #expect(destroy.code == 0, "\(shell): \(destroy.output)")
        let again = try firm.run(["destroy", "qaws.json", "--auto-approve"], environment: env)
        #expect(again.code == 0 && again.stdout.contains("No changes"), "\(again.output)")
        let held = try Self.json(Self.fixture(python, moto, ["held", seed.vpc, Self.bucket]))
        for kind in ["instances", "vpcs", "subnets", "securityGroups", "keyPairs", "keyFiles", "addresses", "routeTables"] {
            #expect(held[kind]?.arrayValue?.isEmpty == true, "\(shell): moto still holds \(kind) of the sandbox: \(held)")
        }
        let outputs = [apply, plan, drift, repair, recover, adopt, destroy, again].map(\.output).joined()
        let saved = firm.read("state/qaws.state.json") ?? ""
        #expect(!moto.secret.isEmpty && !outputs.contains(moto.secret) && !saved.contains(moto.secret), "the secret key from the environment never shows")
    }
}
