import FirmBase

/// A subnet to prepare: its network's name, its CIDR, and whether it is public.
public struct SubnetSpec: Sendable, Equatable {
    public var name: String
    public var cidr: String
    public var isPublic: Bool

    public init(name: String, cidr: String, isPublic: Bool) {
        self.name = name
        self.cidr = cidr
        self.isPublic = isPublic
    }
}
