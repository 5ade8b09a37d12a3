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

    var json: JSON {
        [
            "vmName": .string(vmName), "vmUuid": .string(vmUuid), "app": .string(app), "sandbox": .string(sandbox),
            "deploymentType": .string(deploymentType), "status": .string(status.rawValue), "ip": .string(ip),
            "publicIp": .string(publicIp), "mac": .string(mac),
        ]
    }

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

    init?(_ json: JSON) {
        guard let name = json["vmName"]?.stringValue, let uuid = json["vmUuid"]?.stringValue,
            let status = json["status"]?.stringValue.flatMap(Status.init(rawValue:))
        else { return nil }
        self.init(vmName: name, vmUuid: uuid, app: json["app"]?.stringValue ?? "", sandbox: json["sandbox"]?.stringValue ?? "",
                  deploymentType: json["deploymentType"]?.stringValue ?? "", status: status, ip: json["ip"]?.stringValue ?? "",
                  publicIp: json["publicIp"]?.stringValue ?? "", mac: json["mac"]?.stringValue ?? "")
    }

    /// What a refresh reports for this VM.
    var observation: Observation {
        Observation(vmName: vmName, vmUuid: vmUuid, exists: true, power: status == .running ? .on : .off,
                    addresses: Addresses(privateAddress: ip, publicAddress: publicIp), appName: app, sandbox: sandbox)
    }
}
