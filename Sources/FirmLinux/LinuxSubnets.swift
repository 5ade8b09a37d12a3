import FirmBase

/// Each VLAN's subnet: `cidr` split into subnets of `prefix`. VLAN v prefers subnet number
/// (v - the low end of vlanRange) modulo their count, or the next one free when another VLAN of
/// the sandbox holds it. The kernel is the record: the subnet a VLAN got is the alias of its
/// bridge (`firm-subnet:10.77.0.16/28`), and each interface's address is on the interface.
struct LinuxSubnets: Sendable, Equatable {
    let cidr: CIDR
    let prefix: Int
    let vlanLow: Int

    static let aliasPrefix = "firm-subnet:"

    var count: Int { 1 << (prefix - cidr.prefix) }

    func subnet(_ index: Int) -> CIDR {
        CIDR(network: IPv4Address(cidr.network.value + UInt32(index) << UInt32(32 - prefix)), prefix: prefix)
    }

    /// The subnet for `vlan` when those in `taken` are held by other VLANs; nil when all are.
    func choose(vlan: Int, taken: Set<CIDR>) -> CIDR? {
        let preferred = ((vlan - vlanLow) % count + count) % count
        for step in 0..<count {
            let candidate = subnet((preferred + step) % count)
            if !taken.contains(candidate) { return candidate }
        }
        return nil
    }

    /// The subnet a bridge's alias records, when it is one of `cidr`'s of this length.
    func recorded(_ alias: String?) -> CIDR? {
        guard let alias, alias.hasPrefix(Self.aliasPrefix), let subnet = CIDR(String(alias.dropFirst(Self.aliasPrefix.count))),
              subnet.prefix == prefix, cidr.contains(subnet) else { return nil }
        return subnet
    }

    static func alias(_ subnet: CIDR) -> String { aliasPrefix + subnet.description }

    /// The lowest host address of `subnet` not in `used`.
    static func free(in subnet: CIDR, used: Set<UInt32>) -> IPv4Address? {
        let first = subnet.network.value + 1, last = subnet.last.value - 1
        guard first <= last else { return nil }
        return (first...last).first { !used.contains($0) }.map(IPv4Address.init)
    }
}
