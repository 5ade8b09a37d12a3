import Foundation
import FirmBase
import FirmModel

/// The settings of an `ec2` provider, all optional but the region (which a profile may give):
/// `{"region": "us-east-1", "cidr": "10.0.0.0/16", "endpoint": "http://127.0.0.1:5055",
///   "profile": "ci", "accessKeyId": {"env": …}, "secretAccessKey": {"env": …},
///   "sessionToken": {"env": …}, "pollInterval": "1s", "requestTimeout": "30s", "nameInstances": false,
///   "catalogImages": ["ami-…"]}`.
public struct EC2Settings: Sendable, Equatable {
    /// The keys `decode` takes, with their shapes (`firm schema`).
    static let shape = ObjectShape([
        .init("region", .about("The AWS region, such as \"us-east-1\" (else the profile's).", .string(pattern: "^[a-z]+(-[a-z]+)+-[0-9]+$", maxLength: 32))),
        .init("cidr", .about("The sandbox VPC's network, from /16 to /28 (default 10.0.0.0/16).", BlueprintShape.cidr)),
        .init("endpoint", .about("An http or https URL to send requests to instead of AWS's, such as \"http://127.0.0.1:5055\".", .string(pattern: "^https?://"))),
        .init("profile", .about("A profile name from ~/.aws/config.", .string(pattern: "^[^\\u0000-\\u001f\\u007f-\\u009f\\[\\]]*$", minLength: 1, maxLength: 128))),
        .init("accessKeyId", .about("Credentials are read from the environment, never written in a blueprint.", .reference("env"))),
        .init("secretAccessKey", .about("Credentials are read from the environment, never written in a blueprint.", .reference("env"))),
        .init("sessionToken", .about("Credentials are read from the environment, never written in a blueprint.", .reference("env"))),
        .init("pollInterval", .about("How often instances in flight are asked after, from 50ms to 60s (default 1s).", BlueprintShape.duration)),
        .init("requestTimeout", .about("Each call's deadline, from 1s to 10m (default 30s).", BlueprintShape.duration)),
        .init("nameInstances", .about("Whether each instance of a launch gets its own Name tag (default false).", .boolean)),
        .init("catalogImages", .about("AMIs the catalog lists besides the account's own.", .array(of: EC2Deployment.ami, maxItems: mostCatalogImages))),
    ])
    static let secretKeys: Set<String> = ["accessKeyId", "secretAccessKey", "sessionToken"]
    public static let defaultCIDR = CIDR("10.0.0.0/16")!

    public var region: String?
    public var cidr: CIDR = defaultCIDR
    /// Where requests go; nil for AWS's regional endpoint over HTTPS.
    public var endpoint: URL?
    public var profile: String?
    /// `{"env": NAME}` references, resolved when the provider starts.
    public var accessKeyId: AttributeValue?
    public var secretAccessKey: AttributeValue?
    public var sessionToken: AttributeValue?
    /// How often the shared poller asks for the instances in flight.
    public var pollInterval: Duration = .seconds(1)
    /// Each call's whole deadline: connecting, sending and reading the whole answer.
    public var requestTimeout: Duration = .seconds(30)
    /// Whether each instance of a launch of several is given its own Name and app tags, one
    /// CreateTags each. Without, they carry the sandbox's and the launch's tags, and the state
    /// maps each to its app by launch index.
    public var nameInstances = false
    /// AMIs the catalog lists besides the account's own (public images the blueprints use).
    public var catalogImages: [String] = []
    static let mostCatalogImages = 100

    public init() {}

    /// Reads settings that validation has accepted.
    public init(_ json: JSON) {
        region = json["region"]?.stringValue
        if let c = json["cidr"]?.stringValue.flatMap(CIDR.init) { cidr = c }
        endpoint = json["endpoint"]?.stringValue.flatMap(URL.init(string:))
        profile = json["profile"]?.stringValue
        func secret(_ key: String) -> AttributeValue? {
            json[key]?["env"]?.stringValue.map(AttributeValue.env) ?? json[key]?.stringValue.map(AttributeValue.literal)
        }
        accessKeyId = secret("accessKeyId")
        secretAccessKey = secret("secretAccessKey")
        sessionToken = secret("sessionToken")
        if let d = json["pollInterval"]?.stringValue.flatMap(DurationText.parse) { pollInterval = d }
        if let d = json["requestTimeout"]?.stringValue.flatMap(DurationText.parse) { requestTimeout = d }
        nameInstances = json["nameInstances"]?.boolValue ?? false
        catalogImages = json["catalogImages"]?.arrayValue?.compactMap(\.stringValue) ?? []
    }

    /// `us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`: AWS's region names.
    static func isRegion(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 3, text.utf8.count <= 32, let last = parts.last, !last.isEmpty, last.allSatisfy(\.isNumber) else { return false }
        return parts.dropLast().allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isLowercase } }
    }

    /// Checks settings with JSON paths.
    static func decode(_ node: JSONNode, _ path: JSONPath, _ context: inout DecodingContext) {
        guard let fields = context.members(of: node, at: path, shape: shape) else { return }
        if let node = fields["region"], let text = context.string(node, at: path.key("region")), !isRegion(text) {
            context.report(path.key("region"), "\(quoted(text)) is not an AWS region; expected such as \"us-east-1\"", at: node.position)
        }
        if let node = fields["cidr"], let text = context.string(node, at: path.key("cidr")) {
            if let cidr = CIDR(text), (16...28).contains(cidr.prefix) {} else {
                context.report(path.key("cidr"), "\(quoted(text)) is not a VPC CIDR; EC2 takes an IPv4 network from /16 to /28 with no host bits, such as \"10.0.0.0/16\"", at: node.position)
            }
        }
        if let node = fields["endpoint"], let text = context.string(node, at: path.key("endpoint")) {
            let url = URL(string: text)
            if url?.scheme != "http" && url?.scheme != "https" || url?.host == nil || url?.query != nil {
                context.report(path.key("endpoint"), "\(quoted(text)) is not an endpoint; expected an http or https URL such as \"http://127.0.0.1:5055\"", at: node.position)
            }
        }
        if let node = fields["profile"], let text = context.string(node, at: path.key("profile")),
            text.isEmpty || text.utf8.count > 128 || text.unicodeScalars.contains(where: { ControlCharacters.isControl($0) || $0 == "[" || $0 == "]" }) {
            context.report(path.key("profile"), "expected a profile name from ~/.aws/config", at: node.position)
        }
        for key in secretKeys.sorted() {
            guard let node = fields[key] else { continue }
            if case .object = node.kind {
                BlueprintDecoder.decodeEnvSetting(key, node, path, &context)
            } else {
                context.report(path.key(key), "expected {\"env\": \"NAME\"}: credentials are read from the environment, never written in a blueprint", at: node.position)
            }
        }
        if let node = fields["pollInterval"], let text = context.string(node, at: path.key("pollInterval")) {
            if let d = DurationText.parse(text), d >= .milliseconds(50), d <= .seconds(60) {} else {
                context.report(path.key("pollInterval"), "\(quoted(text)) is not a poll interval; expected a duration from 50ms to 60s, such as \"1s\"", at: node.position)
            }
        }
        if let node = fields["catalogImages"], let ids = context.strings(node, at: path.key("catalogImages")) {
            if ids.count > mostCatalogImages {
                context.report(path.key("catalogImages"), "\(ids.count) images; the catalog takes at most \(mostCatalogImages) named in settings", at: node.position)
            }
            for (i, id) in ids.enumerated() where !EC2Deployment.isAMI(id) {
                context.report(path.key("catalogImages").index(i), "\(quoted(id)) is not an AMI id; expected \"ami-\" and 8 or 17 hex digits", at: node.position)
            }
        }
        if let node = fields["nameInstances"] { _ = context.bool(node, at: path.key("nameInstances")) }
        if let node = fields["requestTimeout"], let text = context.string(node, at: path.key("requestTimeout")) {
            if let d = DurationText.parse(text), d >= .seconds(1), d <= .seconds(600) {} else {
                context.report(path.key("requestTimeout"), "\(quoted(text)) is not a request timeout; expected a duration from 1s to 10m, such as \"30s\"", at: node.position)
            }
        }
    }
}

/// The deployment attributes of an `ec2` app: `AMI` (required), `InstanceType` (default
/// t3.micro), `UserData`, `DiskGiB`.
public struct EC2Deployment: Sendable, Equatable {
    static let ami = JSONShape.string(pattern: "^ami-([0-9a-f]{8}|[0-9a-f]{17})$")
    /// An ec2 app's deployment path: `"deploymentType": "instance"` and these attributes.
    static let shape = ObjectShape([
        .init("deploymentType", .choice(["instance"]), required: true),
        .init("attributes", .object(attributes), required: true),
    ])
    static let attributes = ObjectShape([
        .init("AMI", .about("The image id, such as \"ami-0abcdef1234567890\".", .anyOf([ami, .reference("env")])), required: true),
        .init("InstanceType", .about("Such as \"t3.micro\" (the default).", .anyOf([.string(pattern: "^[a-z0-9-]+\\.[a-z0-9-]+$", maxLength: 32), .reference("env")]))),
        .init("UserData", .about("At most 12,288 bytes, sent base64-encoded.", BlueprintShape.attributeValue)),
        .init("DiskGiB", .about("The root volume's size in whole GiB, from 1 to 16384.", .anyOf([.string(pattern: "^[+]?[0-9]+$"), .reference("env")]))),
    ])
    static let keys = attributes.keys
    public static let defaultInstanceType = "t3.micro"

    public var ami: String
    public var instanceType: String
    public var userData: String?
    public var diskGiB: Int?

    public init(_ attributes: [String: String]) {
        ami = attributes["AMI"] ?? ""
        instanceType = attributes["InstanceType"] ?? Self.defaultInstanceType
        userData = attributes["UserData"]
        diskGiB = attributes["DiskGiB"].flatMap { Int($0) }
    }

    static func isAMI(_ text: String) -> Bool {
        text.hasPrefix("ami-") && [8, 17].contains(text.utf8.count - 4) && text.dropFirst(4).allSatisfy { $0.isHexDigit && ($0.isNumber || $0.isLowercase) }
    }

    static func isInstanceType(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 2 && text.utf8.count <= 32
            && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") } }
    }

    /// Checks a deployment path's attributes with JSON paths (`path` is the app's deploymentPath).
    static func check(_ deployment: DeploymentPath, _ path: JSONPath, _ context: inout DecodingContext) {
        let here = path.key("attributes")
        if deployment.deploymentType != "instance" {
            context.report(path.key("deploymentType"), "\(quoted(deployment.deploymentType)) is not a deployment type of ec2; expected \"instance\"", at: nil)
        }
        // "image": {"snapshot": NAME} deploys from a snapshot, whose AMI replaces it.
        let restoring = deployment.snapshot != nil
        for key in deployment.attributes.keys.sorted() where !keys.contains(key) && !(restoring && key == "image") {
            let hint = Spelling.closest(to: key, among: keys).map { " (did you mean \($0)?)" } ?? "; expected one of: " + keys.joined(separator: ", ")
            context.report(here.key(key), "unknown attribute\(hint)", at: nil)
        }
        func literal(_ key: String) -> String? {
            if case .literal(let s)? = deployment.attributes[key] { return s }
            return nil
        }
        if deployment.attributes["AMI"] == nil && !restoring {
            context.report(here, "missing required attribute \"AMI\" (the image id, such as \"ami-0abcdef1234567890\"), or \"image\": {\"snapshot\": NAME}", at: nil)
        } else if let ami = literal("AMI"), !isAMI(ami) {
            context.report(here.key("AMI"), "\(quoted(ami)) is not an AMI id; expected \"ami-\" and 8 or 17 hex digits", at: nil)
        }
        if let type = literal("InstanceType"), !isInstanceType(type) {
            context.report(here.key("InstanceType"), "\(quoted(type)) is not an instance type; expected such as \"t3.micro\"", at: nil)
        }
        if let data = literal("UserData"), data.utf8.count > 12_288 {
            context.report(here.key("UserData"), "user data is \(data.utf8.count) bytes; EC2 takes at most 16 KiB once base64-encoded (12,288 bytes)", at: nil)
        }
        if let disk = literal("DiskGiB"), Int(disk).map({ !(1...16_384).contains($0) }) ?? true {
            context.report(here.key("DiskGiB"), "\(quoted(disk)) is not a disk size; expected whole GiB from 1 to 16384", at: nil)
        }
    }
}
