import FirmBase

/// What the planner and the executor need to know of a provider's type, worked out from its
/// settings by the type (`ProviderType.traits`) when the blueprint is decoded, so that neither
/// needs the registry of types.
public struct ProviderTraits: Sendable, Equatable {
    /// L3: the cloud network that subnets must lie in, when the settings declare one.
    public var cloudCIDR: CIDR?
    /// L2: the VLAN ids `auto` networks may take.
    public var vlanRange: ClosedRange<Int>
    /// The mean time each operation is expected to take, in microseconds, where the type knows.
    public var expectedMicroseconds: [ProviderOperation: Int]
    /// L3: every app must be connected to a subnet of its provider (EC2 launches an instance
    /// into a subnet; the simulated cloud gives an unconnected app a default one).
    public var appsNeedSubnet: Bool

    public init(cloudCIDR: CIDR? = nil, vlanRange: ClosedRange<Int> = VLANRange.all, expectedMicroseconds: [ProviderOperation: Int] = [:],
                appsNeedSubnet: Bool = false) {
        self.cloudCIDR = cloudCIDR
        self.vlanRange = vlanRange
        self.expectedMicroseconds = expectedMicroseconds
        self.appsNeedSubnet = appsNeedSubnet
    }
}
