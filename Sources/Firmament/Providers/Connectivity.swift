/// The connectivity part of the driver SPI: CloudShell's ApplyConnectivityChanges (L2) and
/// PrepareSandboxInfra / CleanupSandboxInfra (L3).

/// One setVlan or removeVlan action of an ApplyConnectivityChanges batch.
public struct VLANChange: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable { case setVlan, removeVlan }

    /// Echoed in the result; results are matched by it.
    public var actionId: String
    public var kind: Kind
    public var app: DeployedApp
    public var vlan: Int
    public var mode: PortMode
    /// For removeVlan: the `updatedInterface` its setVlan returned.
    public var interface: String

    public init(actionId: String, kind: Kind, app: DeployedApp, vlan: Int, mode: PortMode, interface: String = "") {
        self.actionId = actionId
        self.kind = kind
        self.app = app
        self.vlan = vlan
        self.mode = mode
        self.interface = interface
    }
}

/// The result of one VLAN action (CloudShell's SetVlanResult / RemoveVlanResult).
public struct VLANResult: Sendable, Equatable {
    public var actionId: String
    public var success: Bool
    public var errorMessage: String
    /// For setVlan: the interface (a MAC address) the VLAN was set on.
    public var updatedInterface: String

    public init(actionId: String, success: Bool, errorMessage: String = "", updatedInterface: String = "") {
        self.actionId = actionId
        self.success = success
        self.errorMessage = errorMessage
        self.updatedInterface = updatedInterface
    }
}

/// A subnet an L3 deploy connects the VM to (CloudShell's connectSubnet action).
public struct SubnetConnection: Sendable, Equatable {
    public var actionId: String
    public var network: String
    public var subnetId: String
    public var cidr: String
    public var isPublic: Bool

    public init(actionId: String, network: String, subnetId: String, cidr: String, isPublic: Bool) {
        self.actionId = actionId
        self.network = network
        self.subnetId = subnetId
        self.cidr = cidr
        self.isPublic = isPublic
    }
}

/// PrepareSandboxInfra: prepareCloudInfra (when `cloudCIDR` is set), prepareSubnet for each
/// subnet, and createKeys. Get-or-create: calling it twice is safe.
public struct InfraRequest: Sendable, Equatable {
    public var sandbox: String
    public var cloudCIDR: String?
    public var subnets: [PlannedSubnet]
    public var createKeys: Bool

    public init(sandbox: String, cloudCIDR: String?, subnets: [PlannedSubnet], createKeys: Bool) {
        self.sandbox = sandbox
        self.cloudCIDR = cloudCIDR
        self.subnets = subnets
        self.createKeys = createKeys
    }
}

/// What PrepareSandboxInfra returned.
public struct InfraResult: Sendable, Equatable {
    public var networkId: String
    /// Subnet name -> the provider's subnet id.
    public var subnetIds: [String: String]
    /// The access key from createKeys (sensitive), when asked for.
    public var keys: String?

    public init(networkId: String, subnetIds: [String: String], keys: String?) {
        self.networkId = networkId
        self.subnetIds = subnetIds
        self.keys = keys
    }
}

/// CleanupSandboxInfra: everything of the sandbox (cleanupNetwork), or only these subnets.
public struct InfraCleanup: Sendable, Equatable {
    public var sandbox: String
    public var all: Bool
    public var subnetIds: [String]

    public init(sandbox: String, all: Bool, subnetIds: [String]) {
        self.sandbox = sandbox
        self.all = all
        self.subnetIds = subnetIds
    }
}
