import FirmBase

/// L3 infrastructure in the driver SPI: connectSubnet at deploy time, PrepareSandboxInfra and
/// CleanupSandboxInfra.

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
    public var subnets: [SubnetSpec]
    public var createKeys: Bool
    /// Whether firm already holds the sandbox's keys: a cloud that can't give a key's private
    /// part twice (EC2) keeps the key pair then, and makes a new one only when firm has none.
    public var keysKnown: Bool = false

    public init(sandbox: String, cloudCIDR: String?, subnets: [SubnetSpec], createKeys: Bool) {
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
