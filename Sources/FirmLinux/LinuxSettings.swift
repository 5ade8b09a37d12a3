import FirmBase
import FirmModel

/// The settings of a `linux` provider, all optional:
/// `{"cidr": "10.77.0.0/24", "vlanRange": "100-199", "bridge": "firm-lab", "subnetPrefix": 28}`.
/// Each VLAN gets a subnet of `cidr` of length `subnetPrefix` (`LinuxSubnets`).
/// `bridge` is the prefix of every name the provider gives the kernel (namespaces, bridges), at
/// most 8 characters, so that every link name stays within the kernel's 15 (IFNAMSIZ).
public struct LinuxSettings: Sendable, Equatable {
    public static let defaultCIDR = CIDR("10.77.0.0/24")!
    public static let defaultPrefix = "firm"
    /// The keys `decode` takes, with their shapes (`firm schema`).
    static let shape = ObjectShape([
        .init("cidr", .about("The apps' addresses, from /8 to /30 (default 10.77.0.0/24); each VLAN gets a subnet of it.", BlueprintShape.cidr)),
        .init("vlanRange", BlueprintShape.vlanRange),
        .init("bridge", .about("The prefix of every name given to the kernel, 1 to 8 of a-z, 0-9 and \"-\" (default firm).",
                               .string(pattern: "^[a-z][a-z0-9-]{0,7}$"))),
        .init("subnetPrefix", .about("The prefix length of each VLAN's subnet, from cidr's to 30 (default cidr's + 4, at most 30).",
                                     .integer(minimum: 8, maximum: 30))),
    ])
    /// The longest `bridge` prefix: 8 + "v" + a 4-digit VLAN id is 13, within IFNAMSIZ's 15.
    static let maxPrefix = 8

    public var cidr: CIDR = defaultCIDR
    public var vlanRange: ClosedRange<Int> = VLANRange.all
    public var prefix: String = defaultPrefix
    /// The prefix length of each VLAN's subnet; nil: `cidr`'s + 4, at most 30.
    public var subnetPrefix: Int?

    /// Each VLAN's subnet, carved from `cidr`.
    var subnets: LinuxSubnets {
        LinuxSubnets(cidr: cidr, prefix: subnetPrefix ?? min(cidr.prefix + 4, 30), vlanLow: vlanRange.lowerBound)
    }

    public init() {}

    /// Decodes and checks settings, reporting each problem with its path.
    static func decode(_ node: JSONNode, _ path: JSONPath, _ context: inout DecodingContext) -> LinuxSettings? {
        guard let fields = context.members(of: node, at: path, shape: shape) else { return nil }
        var settings = LinuxSettings()
        let before = context.diagnostics.count
        if let node = fields["cidr"], let text = context.string(node, at: path.key("cidr")) {
            if let cidr = CIDR(text), (8...30).contains(cidr.prefix) { settings.cidr = cidr }
            else { context.report(path.key("cidr"), "\(quoted(text)) is not a valid CIDR; expected an IPv4 network with a prefix from /8 to /30 and no host bits, such as \"10.77.0.0/24\"", at: node.position) }
        }
        if let node = fields["vlanRange"], let text = context.string(node, at: path.key("vlanRange")) {
            if let range = VLANRange.parse(text) { settings.vlanRange = range }
            else { context.report(path.key("vlanRange"), "\(quoted(text)) is not a VLAN range; expected \"LOW-HIGH\" within 2-4094, such as \"100-199\"", at: node.position) }
        }
        if let node = fields["bridge"], let text = context.string(node, at: path.key("bridge")) {
            if isPrefix(text) { settings.prefix = text }
            else { context.report(path.key("bridge"), "\(quoted(text)) is not a name prefix; expected 1 to \(maxPrefix) of a-z, 0-9 and \"-\", starting with a letter, such as \"firm-lab\"", at: node.position) }
        }
        if let node = fields["subnetPrefix"], let length = context.int(node, at: path.key("subnetPrefix"), in: 8...30) {
            if length >= settings.cidr.prefix { settings.subnetPrefix = length }
            else { context.report(path.key("subnetPrefix"), "/\(length) is wider than cidr \(settings.cidr); expected a prefix length from \(settings.cidr.prefix) to 30", at: node.position) }
        }
        return context.diagnostics.count == before ? settings : nil
    }

    static func isPrefix(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard (1...maxPrefix).contains(bytes.count), let first = bytes.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first) else { return false }
        return bytes.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "-") }
    }

    /// Settings from a provider spec that has already been validated.
    public init(_ settings: JSON) {
        var context = DecodingContext(file: "")
        self = Self.decode(JSONNode(plain: settings), JSONPath(), &context) ?? LinuxSettings()
    }
}

/// An app's deployment path on `linux`: `"deploymentType": "netns"`, with an optional `Command`
/// run inside the namespace as the app's service.
enum LinuxDeployment {
    static let type = "netns"
    static let attributes = ObjectShape([
        .init("Command", .about("A shell command run inside the namespace as the app's service, at most 4096 bytes.", BlueprintShape.attributeValue)),
    ])
    static let keys = attributes.keys
    /// A linux app's deployment path: `"deploymentType": "netns"` and these attributes.
    static let shape = ObjectShape([
        .init("deploymentType", .choice([type]), required: true),
        .init("attributes", .object(attributes)),
    ])
    /// A service command longer than this is refused (it goes to `sh -c` as one argument).
    static let maxCommand = 4096

    static func check(_ deployment: DeploymentPath, _ path: JSONPath, _ context: inout DecodingContext) {
        if deployment.deploymentType != type {
            context.report(path.key("deploymentType"), "\(quoted(deployment.deploymentType)) is not a deployment type of linux; expected \"netns\"", at: nil)
        }
        let here = path.key("attributes")
        for key in deployment.attributes.keys.sorted() where !keys.contains(key) {
            let hint = Spelling.closest(to: key, among: keys).map { " (did you mean \($0)?)" } ?? "; expected one of: " + keys.joined(separator: ", ")
            context.report(here.key(key), "unknown attribute\(hint)", at: nil)
        }
        if case .literal(let command)? = deployment.attributes["Command"] {
            if command.utf8.contains(0) || command.allSatisfy(\.isWhitespace) {
                context.report(here.key("Command"), "expected a shell command, such as \"python3 -m http.server 80\"", at: nil)
            } else if command.utf8.count > maxCommand {
                context.report(here.key("Command"), "the command is \(command.utf8.count) bytes; expected at most \(maxCommand)", at: nil)
            }
        }
    }
}
