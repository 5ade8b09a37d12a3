import FirmBase
import FirmModel

/// A VM in the simulated cloud. Its life follows Deltacloud's instance state machine:
/// pending (during deploy) -> stopped -> running <-> stopped -> deleted.
public struct SimulatedVM: Sendable, Equatable {
    public enum Status: String, Sendable, Equatable {
        case pending, running, stopped
    }

    public var vmName: String
    public var vmUuid: String
    public var app: String
    /// The blueprint that deployed it: the cloud's tag for "managed by this sandbox".
    public var sandbox: String
    public var deploymentType: String
    public var status: Status
    public var ip: String
    public var publicIp: String
    /// The primary interface's MAC address.
    public var mac: String
    /// L2: VLAN id -> the interface (MAC) that is a member of it.
    public var vlans: [Int: String] = [:]
    /// L3: the subnets the VM is on.
    public var subnets: [String] = []
    /// The image it was deployed from (its deployment attribute `Image`), if any.
    public var image: String = ""

    /// The VM as JSON: what `writeCompact` writes (the tests compare the two).
    var json: JSON {
        let base: JSON = [
            "vmName": .string(vmName), "vmUuid": .string(vmUuid), "app": .string(app), "sandbox": .string(sandbox),
            "deploymentType": .string(deploymentType), "status": .string(status.rawValue), "ip": .string(ip),
            "publicIp": .string(publicIp), "mac": .string(mac),
            "vlans": .object(JSONObject(vlans.keys.sorted().map { (String($0), .string(vlans[$0]!)) })),
            "subnets": .array(subnets.map(JSON.string)),
        ]
        guard !image.isEmpty, case .object(var o) = base else { return base }
        o["image"] = .string(image)
        return .object(o)
    }

    /// Appends `json` written compactly, as `JSONWriter(pretty: false)` writes it, without
    /// building it first: the world log gets one of these for every operation.
    func writeCompact(into out: inout [UInt8]) {
        let writer = JSONWriter(pretty: false)
        let keys = Self.keys
        out.append(UInt8(ascii: "{"))
        func member(_ i: Int, _ value: String) {
            out.append(contentsOf: keys[i])
            JSONWriter.writeString(value, into: &out)
        }
        member(0, vmName)
        member(1, vmUuid)
        member(2, app)
        member(3, sandbox)
        member(4, deploymentType)
        member(5, status.rawValue)
        member(6, ip)
        member(7, publicIp)
        member(8, mac)
        out.append(contentsOf: keys[9])
        writer.writeObject(vlans.sorted { $0.key < $1.key }, into: &out, indent: 1, key: { String($0.key) }) { vlan, out in
            JSONWriter.writeString(vlan.value, into: &out)
        }
        out.append(contentsOf: keys[10])
        writer.writeStrings(subnets, into: &out, indent: 1)
        if !image.isEmpty {
            out.append(contentsOf: writer.keyBytes("image", first: false, indent: 1))
            JSONWriter.writeString(image, into: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    /// Each member's key as `writeKey` writes it compactly, with the comma before all but the first.
    private static let keys: [[UInt8]] = ["vmName", "vmUuid", "app", "sandbox", "deploymentType", "status", "ip", "publicIp", "mac", "vlans", "subnets"]
        .enumerated().map { i, key in JSONWriter(pretty: false).keyBytes(key, first: i == 0, indent: 1) }

    init(vmName: String, vmUuid: String, app: String, sandbox: String, deploymentType: String, status: Status, ip: String, publicIp: String, mac: String) {
        self.vmName = vmName
        self.vmUuid = vmUuid
        self.app = app
        self.sandbox = sandbox
        self.deploymentType = deploymentType
        self.status = status
        self.ip = ip
        self.publicIp = publicIp
        self.mac = mac
    }

    /// A VM as a line of the world's log holds it, read from the parsed line as it is.
    init?(_ json: JSONNode) {
        guard let name = json["vmName"]?.stringValue, let uuid = json["vmUuid"]?.stringValue,
            let status = json["status"]?.stringValue.flatMap(Status.init(rawValue:))
        else { return nil }
        self.init(vmName: name, vmUuid: uuid, app: json["app"]?.stringValue ?? "", sandbox: json["sandbox"]?.stringValue ?? "",
                  deploymentType: json["deploymentType"]?.stringValue ?? "", status: status, ip: json["ip"]?.stringValue ?? "",
                  publicIp: json["publicIp"]?.stringValue ?? "", mac: json["mac"]?.stringValue ?? "")
        vlans = Self.vlans(json["vlans"])
        subnets = Self.subnets(json["subnets"])
        image = json["image"]?.stringValue ?? ""
    }

    /// What a refresh reports for this VM.
    var observation: Observation {
        Observation(vmName: vmName, vmUuid: vmUuid, exists: true, power: status == .running ? .on : .off,
                    addresses: Addresses(privateAddress: ip, publicAddress: publicIp), appName: app, sandbox: sandbox,
                    vlans: vlans.keys.sorted(), subnetIds: subnets)
    }
}

/// One sandbox's L3 infrastructure in the simulated cloud.
public struct SimulatedInfra: Sendable, Equatable {
    public struct Subnet: Sendable, Equatable {
        public var name: String
        public var cidr: String
        public var isPublic: Bool
    }

    public var sandbox: String
    public var networkId: String
    public var cidr: String
    /// Subnet id -> subnet.
    public var subnets: [String: Subnet]
    public var keys: String

    var json: JSON {
        [
            "sandbox": .string(sandbox), "networkId": .string(networkId), "cidr": .string(cidr), "keys": .string(keys),
            "subnets": .object(JSONObject(subnets.keys.sorted().map { id in
                let s = subnets[id]!
                return (id, ["name": .string(s.name), "cidr": .string(s.cidr), "public": .bool(s.isPublic)])
            })),
        ]
    }

    init(sandbox: String, networkId: String, cidr: String, subnets: [String: Subnet] = [:], keys: String = "") {
        self.sandbox = sandbox
        self.networkId = networkId
        self.cidr = cidr
        self.subnets = subnets
        self.keys = keys
    }

    init?(_ json: JSONNode) {
        guard let sandbox = json["sandbox"]?.stringValue, let networkId = json["networkId"]?.stringValue, let cidr = json["cidr"]?.stringValue
        else { return nil }
        self.init(sandbox: sandbox, networkId: networkId, cidr: cidr, keys: json["keys"]?.stringValue ?? "")
        for member in json["subnets"]?.members ?? [] {
            let s = member.value
            guard let name = s["name"]?.stringValue, let c = s["cidr"]?.stringValue else { continue }
            subnets[member.key] = Subnet(name: name, cidr: c, isPublic: s["public"]?.boolValue ?? false)
        }
    }
}
