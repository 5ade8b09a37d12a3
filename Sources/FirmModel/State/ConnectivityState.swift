import FirmBase

/// A network as realized on its provider.
public struct NetworkState: Sendable, Equatable {
    public var provider: String
    /// L2: the VLAN id, fixed or allocated (kept stable from plan to plan).
    public var vlan: Int?
    /// L3: the subnet's CIDR and the id the provider gave it when it was prepared.
    public var cidr: String?
    public var subnetId: String?
    public var isPublic: Bool

    public init(provider: String, vlan: Int? = nil, cidr: String? = nil, subnetId: String? = nil, isPublic: Bool = false) {
        self.provider = provider
        self.vlan = vlan
        self.cidr = cidr
        self.subnetId = subnetId
        self.isPublic = isPublic
    }
}

/// One connection of an app's VM to a network.
public struct Connection: Sendable, Equatable {
    /// L2: the VLAN id and port mode the interface was set to.
    public var vlan: Int?
    public var mode: PortMode?
    /// L2: `updatedInterface` from setVlan, sent back as removeVlan's interface.
    /// L3: the `interface` of the ConnectToSubnet result.
    public var interface: String
    /// L3: the subnet the VM was deployed onto.
    public var subnetId: String?

    public init(vlan: Int? = nil, mode: PortMode? = nil, interface: String = "", subnetId: String? = nil) {
        self.vlan = vlan
        self.mode = mode
        self.interface = interface
        self.subnetId = subnetId
    }
}

/// An L3 provider's sandbox infrastructure, from PrepareSandboxInfra.
public struct InfraState: Sendable, Equatable {
    /// The cloud network's CIDR and id (prepareCloudInfra).
    public var cidr: String
    public var networkId: String
    /// The key pair from createKeys. Sensitive: masked by `firm show`, never in a plan.
    public var keys: String
    /// Set, durably, before the infrastructure is cleaned up: a cleanup cut short leaves it
    /// part gone, so the next plan prepares it again in full (or cleans it again).
    public var cleaning: Bool

    public init(cidr: String, networkId: String, keys: String, cleaning: Bool = false) {
        self.cidr = cidr
        self.networkId = networkId
        self.keys = keys
        self.cleaning = cleaning
    }
}
