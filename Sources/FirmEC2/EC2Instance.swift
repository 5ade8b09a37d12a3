import FirmBase
import FirmModel

/// One instance as DescribeInstances (or RunInstances) reports it, and what firm makes of it.
public struct EC2Instance: Sendable, Equatable {
    public var id: String
    /// pending, running, stopping, stopped, shutting-down, terminated.
    public var state: String
    public var privateAddress: String
    public var publicAddress: String
    public var tags: [String: String]
    /// Its network interfaces, primary first.
    public var interfaces: [Interface]
    public var instanceType: String
    public var zone: String
    /// Its place in the RunInstances call that made it (`amiLaunchIndex`).
    public var launchIndex: Int?

    public struct Interface: Sendable, Equatable {
        public var id: String
        public var subnet: String
    }

    /// Reads an `instancesSet` item; nil when it has no instance id.
    init?(_ item: XMLTree) {
        guard let id = item.value("instanceId"), !id.isEmpty else { return nil }
        self.id = id
        state = item.value("instanceState", "name") ?? ""
        privateAddress = item.value("privateIpAddress") ?? ""
        publicAddress = item.value("ipAddress") ?? ""
        self.tags = EC2Tags.of(item)
        var interfaces: [(id: String, subnet: String, index: Int)] = item.items("networkInterfaceSet").map { nic in
            (nic.value("networkInterfaceId") ?? "", nic.value("subnetId") ?? "", Int(nic.value("attachment", "deviceIndex") ?? "") ?? 0)
        }
        interfaces.sort { $0.index < $1.index }
        if interfaces.isEmpty, let subnet = item.value("subnetId") { interfaces = [("", subnet, 0)] }
        self.interfaces = interfaces.map { Interface(id: $0.id, subnet: $0.subnet) }
        instanceType = item.value("instanceType") ?? ""
        zone = item.value("placement", "availabilityZone") ?? ""
        launchIndex = item.value("amiLaunchIndex").flatMap { Int($0) }
    }

    /// Gone, or going: terminated instances stay listed for a while.
    public var isGone: Bool { state == "terminated" || state == "shutting-down" }

    public var power: Power? {
        switch state {
        case "running", "pending": .on
        case "stopped", "stopping": .off
        default: nil
        }
    }

    public var observation: Observation {
        Observation(vmName: tags["Name"] ?? id, vmUuid: id, exists: !isGone, power: power,
                    addresses: Addresses(privateAddress: privateAddress, publicAddress: publicAddress),
                    appName: tags[EC2Tags.app] ?? "", sandbox: tags[EC2Tags.sandbox] ?? "", vlans: nil,
                    subnetIds: interfaces.map(\.subnet).filter { !$0.isEmpty })
    }
}

/// The tags firm puts on what it creates, and finds it again by.
enum EC2Tags {
    static let sandbox = "firm:sandbox"

    /// Whether an item of an answer is `sandbox`'s by its own tag, whatever filter found it.
    static func belongs(_ item: XMLTree, to sandbox: String) -> Bool { of(item)[Self.sandbox] == sandbox }

    /// The tags of one item of an answer (its `tagSet`).
    static func of(_ item: XMLTree) -> [String: String] {
        var tags: [String: String] = [:]
        for tag in item.items("tagSet") { if let key = tag.value("key") { tags[key] = tag.value("value") ?? "" } }
        return tags
    }
    static let app = "firm:app"
    /// On subnets: the network's name in the blueprint. On the route table: "public".
    static let network = "firm:network"

    /// `TagSpecification.N.*` parameters for one resource type.
    static func specification(_ n: Int, _ resourceType: String, _ tags: [(String, String)]) -> [(String, String)] {
        var out = [("TagSpecification.\(n).ResourceType", resourceType)]
        for (i, tag) in tags.enumerated() {
            out += [("TagSpecification.\(n).Tag.\(i + 1).Key", tag.0), ("TagSpecification.\(n).Tag.\(i + 1).Value", tag.1)]
        }
        return out
    }

    /// `Filter.N.Name` / `Filter.N.Value.1` parameters.
    static func filters(_ pairs: [(String, String)]) -> [(String, String)] {
        pairs.enumerated().flatMap { i, f in [("Filter.\(i + 1).Name", f.0), ("Filter.\(i + 1).Value.1", f.1)] }
    }
}
