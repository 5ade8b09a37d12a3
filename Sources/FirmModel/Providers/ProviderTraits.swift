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

    public init(cloudCIDR: CIDR? = nil, vlanRange: ClosedRange<Int> = VLANRange.all, expectedMicroseconds: [ProviderOperation: Int] = [:]) {
        self.cloudCIDR = cloudCIDR
        self.vlanRange = vlanRange
        self.expectedMicroseconds = expectedMicroseconds
    }
}
