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

/// The ec2 provider's validation, credentials and error mapping, without a server.
@Suite("EC2: validation, credentials, errors")
struct EC2UnitTests {
    static func blueprint(settings: String = #""region": "us-east-1""#, attributes: String = #""AMI": "ami-1e749f67""#,
                          type: String = "instance") -> String {
        #"{"version": 1, "name": "lab", "providers": {"aws": {"type": "ec2", "connectivity": "L3", "settings": {"# + settings + #"}}},"#
            + #" "apps": {"web": {"deploymentPath": {"provider": "aws", "deploymentType": ""# + type + #"", "attributes": {"# + attributes + #"}}}},"#
            + #" "networks": {"pub": {"provider": "aws", "subnet": "10.0.1.0/24"}}, "connectors": [{"from": "web", "to": "pub"}]}"#
    }

    static let cases: [ValidationTests.Case] = [
        .init(name: "region shape", text: blueprint(settings: #""region": "useast1""#), path: "providers.aws.settings.region", message: "is not an AWS region"),
        .init(name: "cidr too wide", text: blueprint(settings: #""region": "us-east-1", "cidr": "10.0.0.0/8""#), path: "providers.aws.settings.cidr", message: "from /16 to /28"),
        .init(name: "endpoint scheme", text: blueprint(settings: #""region": "us-east-1", "endpoint": "file:///x""#), path: "providers.aws.settings.endpoint", message: "http or https"),
        .init(name: "secret written in", text: blueprint(settings: #""region": "us-east-1", "secretAccessKey": "abc""#), path: "providers.aws.settings.secretAccessKey", message: "{\"env\""),
        .init(name: "unknown setting", text: blueprint(settings: #""region": "us-east-1", "regoin": "x""#), path: "providers.aws.settings.regoin", message: "did you mean region"),
        .init(name: "poll interval", text: blueprint(settings: #""region": "us-east-1", "pollInterval": "5ms""#), path: "providers.aws.settings.pollInterval", message: "from 50ms to 60s"),
        .init(name: "AMI missing", text: blueprint(attributes: #""InstanceType": "t3.micro""#), path: "apps.web.deploymentPath.attributes", message: "missing required attribute \"AMI\""),
        .init(name: "AMI shape", text: blueprint(attributes: #""AMI": "ami-12""#), path: "apps.web.deploymentPath.attributes.AMI", message: "is not an AMI id"),
        .init(name: "instance type shape", text: blueprint(attributes: #""AMI": "ami-1e749f67", "InstanceType": "T3 Micro""#), path: "apps.web.deploymentPath.attributes.InstanceType", message: "is not an instance type"),
        .init(name: "disk size", text: blueprint(attributes: #""AMI": "ami-1e749f67", "DiskGiB": "0""#), path: "apps.web.deploymentPath.attributes.DiskGiB", message: "whole GiB"),
        .init(name: "unknown attribute", text: blueprint(attributes: #""AMI": "ami-1e749f67", "InstanceTyp": "t3.micro""#), path: "apps.web.deploymentPath.attributes.InstanceTyp", message: "did you mean InstanceType"),
        .init(name: "deployment type", text: blueprint(type: "vm"), path: "apps.web.deploymentPath.deploymentType", message: "expected \"instance\""),
        .init(name: "L2 is not ec2's", text: blueprint().replacingOccurrences(of: #""connectivity": "L3""#, with: #""connectivity": "L2""#), path: "providers.aws.connectivity", message: "L3"),
    ]

    @Test("ec2 settings and deployment attributes are checked with their paths before any call", arguments: cases)
    func validation(_ c: ValidationTests.Case) {
        do {
            _ = try BlueprintDecoder.decode(Array(c.text.utf8), file: "lab.json", types: BuiltIn.providerTypes)
            Issue.record("accepted: \(c.name)")
        } catch {
            guard case .invalid(let diagnostics) = error else { Issue.record("unexpected \(error)"); return }
            #expect(diagnostics.contains { $0.path == c.path && $0.message.contains(c.message) }, "\(c.name): got \(diagnostics.map(\.description))")
        }
    }

    /// The apps' deployment paths are checked in no set order; what is found is reported in the
    /// order of the apps' names, the same on every run.
    @Test("problems in several apps' deployment paths are reported in the order of the apps' names")
    func deploymentPathOrder() {
        let names = ["zeta", "alpha", "mid", "beta", "omega", "gamma", "delta", "kappa"]
        let apps = names.map { #""\#($0)": {"deploymentPath": {"provider": "aws", "deploymentType": "instance", "attributes": {"AMI": "ami-12"}}}"# }
        let text = #"{"version": 1, "name": "lab", "providers": {"aws": {"type": "ec2", "connectivity": "L3", "settings": {"region": "us-east-1"}}}, "apps": {"#
            + apps.joined(separator: ", ") + "}}"
        do {
            _ = try BlueprintDecoder.decode(Array(text.utf8), file: "lab.json", types: BuiltIn.providerTypes)
            Issue.record("accepted")
        } catch {
            guard case .invalid(let diagnostics) = error else { Issue.record("unexpected \(error)"); return }
            #expect(diagnostics.map(\.path) == names.sorted().map { "apps.\($0).deploymentPath.attributes.AMI" })
        }
    }

    @Test("a good ec2 blueprint validates")
    func valid() throws {
        _ = try BlueprintDecoder.decode(Array(Self.blueprint(attributes: #""AMI": "ami-0abcdef1234567890", "InstanceType": "t3.micro", "DiskGiB": "20", "UserData": "echo hi""#).utf8), file: "lab.json", types: BuiltIn.providerTypes)
    }

    static func environment(_ values: [String: String]) -> Environment { Environment { values[$0] } }

    @Test("credentials: the settings' env references, then AWS_ACCESS_KEY_ID, then the profile; the region likewise")
    func credentialOrder() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("firm-aws-\(UUIDText.hex(6))").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder + "/.aws", withIntermediateDirectories: true)
        try "[default]\naws_access_key_id = AKPROFILE\naws_secret_access_key = sprofile\n[ci]\naws_access_key_id = AKCI\naws_secret_access_key = sci\naws_session_token = tci\n"
            .write(toFile: folder + "/.aws/credentials", atomically: true, encoding: .utf8)
        try "[default]\nregion = eu-west-1\n[profile ci]\nregion = ap-south-1\n".write(toFile: folder + "/.aws/config", atomically: true, encoding: .utf8)

        var settings = EC2Settings()
        settings.accessKeyId = .env("MY_KEY")
        settings.secretAccessKey = .env("MY_SECRET")
        let all = ["MY_KEY": "AKSETTINGS", "MY_SECRET": "ssettings", "AWS_ACCESS_KEY_ID": "AKENV", "AWS_SECRET_ACCESS_KEY": "senv", "HOME": folder]
        var found = try AWSCredentials.resolve(settings, environment: Self.environment(all))
        #expect(found.credentials.accessKey == "AKSETTINGS" && found.region == "eu-west-1" && found.source == "the provider's settings")

        found = try AWSCredentials.resolve(EC2Settings(), environment: Self.environment(all))
        #expect(found.credentials.accessKey == "AKENV" && found.credentials.secret == "senv")

        found = try AWSCredentials.resolve(EC2Settings(), environment: Self.environment(["HOME": folder, "AWS_REGION": "us-west-2"]))
        #expect(found.credentials.accessKey == "AKPROFILE" && found.region == "us-west-2", "AWS_REGION wins over the profile's region")

        var ci = EC2Settings()
        ci.profile = "ci"
        found = try AWSCredentials.resolve(ci, environment: Self.environment(["HOME": folder]))
        #expect(found.credentials == SigV4.Credentials(accessKey: "AKCI", secret: "sci", sessionToken: "tci") && found.region == "ap-south-1")

        #expect(throws: (any Error).self) { try AWSCredentials.resolve(settings, environment: Self.environment(["HOME": folder, "MY_KEY": "AK"])) }
        let missing = #expect(throws: (any Error).self) { try AWSCredentials.resolve(EC2Settings(), environment: Self.environment(["HOME": folder + "/nowhere", "AWS_REGION": "us-east-1"])) }
        #expect("\(missing!)".contains("no AWS credentials"))
        let badRegion = #expect(throws: (any Error).self) { try AWSCredentials.resolve(EC2Settings(), environment: Self.environment(["AWS_REGION": "moon", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"])) }
        #expect("\(badRegion!)".contains("not an AWS region"))
        let hostile = #expect(throws: (any Error).self) { try AWSCredentials.resolve(EC2Settings(), environment: Self.environment(["AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "a\u{1b}[2J", "AWS_SECRET_ACCESS_KEY": "b"])) }
        #expect("\(hostile!)".contains("AWS_ACCESS_KEY_ID holds control characters"))
    }

    static func error(status: Int, _ body: String) -> ProviderError {
        EC2Errors.error(provider: "aws", operation: "deploy", action: "RunInstances", status: status, tree: XMLTree.parse(Data(body.utf8)), body: Data(body.utf8))
    }

    static func xml(_ code: String, _ message: String) -> String {
        "<Response><Errors><Error><Code>\(code)</Code><Message>\(message)</Message></Error></Errors><RequestID>r-1</RequestID></Response>"
    }

    @Test("EC2 errors: the kind follows the code, terminal ones say what to fix, and an answer that is not XML names the HTTP status")
    func errors() {
        #expect(Self.error(status: 503, Self.xml("RequestLimitExceeded", "slow down")).kind == .retryable)
        #expect(Self.error(status: 500, Self.xml("InsufficientInstanceCapacity", "none")).kind == .retryable)
        let auth = Self.error(status: 401, Self.xml("AuthFailure", "AWS was not able to validate the provided access credentials"))
        #expect(auth.kind == .terminal && auth.code == "AuthFailure" && auth.message.contains("check the access key") && auth.message.contains("request id r-1"))
        let ami = Self.error(status: 400, Self.xml("InvalidAMIID.NotFound", "The image id '[ami-1]' does not exist"))
        #expect(ami.kind == .terminal && ami.message.contains("check the AMI attribute"))
        #expect(Self.error(status: 403, Self.xml("UnauthorizedOperation", "no")).message.contains("IAM permission"))
        let html = Self.error(status: 500, "<!DOCTYPE html><html><body><h1>Internal Server Error</h1>")
        #expect(html.kind == .retryable && html.code == "HTTP500" && html.message.contains("not an EC2 XML answer"))
        let text = Self.error(status: 404, "Not Found")
        #expect(text.kind == .terminal && text.message.contains("HTTP 404"))
        #expect(XMLTree.parse(Data(String(repeating: "<a>", count: 100).utf8)) == nil, "deep or broken XML is refused, not a crash")
    }

    @Test("the ClientToken is the VM name within the sandbox, at most 64 ASCII characters")
    func clientToken() {
        #expect(EC2Launcher.token(["web__a1b2c3"], sandbox: "lab") == "lab/web__a1b2c3")
        let long = EC2Launcher.token([String(repeating: "x", count: 80) + "__a1b2c3"], sandbox: "lab")
        #expect(long.utf8.count == 64 && long != EC2Launcher.token([String(repeating: "y", count: 80) + "__a1b2c3"], sandbox: "lab"))
    }
}
