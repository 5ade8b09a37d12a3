import FirmBase

/// The names and addresses of an L3 sandbox's router, all derived from the sandbox's switch
/// name, so that a later run (or a recovery after kill -9) finds the same things.
///
/// - the router is the sandbox's switch namespace (`LinuxNames.sandboxSwitch`), with IPv4
///   forwarding on: each subnet is a bridge in it, `PREFIXsXXXXXX`, whose own address is the
///   subnet's gateway (its first host address), so the router routes between the subnets;
/// - the uplink: a veth from the router (`uplink`) to the host namespace (`PREFIXhXXXXXX`, the
///   switch's 6 hex digits), on a /30 of 169.254.0.0/16 chosen from the same digits; the host
///   routes each public subnet through it;
/// - each subnet bridge's alias records the subnet: `firm-l3:NAME:CIDR:public|private`.
struct LinuxRouter: Sendable, Equatable {
    let names: LinuxNames
    static let uplink = "uplink"
    static let aliasPrefix = "firm-l3:"

    var namespace: String { names.sandboxSwitch }
    var hostLink: String { names.prefix + "h" + String(names.sandboxSwitch.suffix(6)) }

    /// The uplink's /30: 169.254.A.B/30 with A in 1…254 and B a multiple of 4, from a hash of
    /// the switch's name. The host's end is B+1, the router's B+2.
    var transit: CIDR {
        var hash = SHA256()
        hash.update(("firm-uplink\u{0}" + names.sandboxSwitch).utf8)
        let digest = hash.finalize()
        let a = UInt32(digest[0]) % 254 + 1, b = UInt32(digest[1] & 0x3f) << 2
        return CIDR(network: IPv4Address(169 << 24 | 254 << 16 | a << 8 | b), prefix: 30)
    }
    var hostAddress: IPv4Address { IPv4Address(transit.network.value + 1) }
    var routerAddress: IPv4Address { IPv4Address(transit.network.value + 2) }

    /// The bridge of the subnet called `network` (the subnet's id in the state).
    func bridge(network: String) -> String {
        names.prefix + "s" + String(SHA256.hex(names.sandboxSwitch + "\u{0}" + network).prefix(6))
    }

    /// Whether `name` is one of this provider's subnet bridge names.
    func isBridge(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        return name.hasPrefix(names.prefix + "s") && bytes.count == names.prefix.utf8.count + 7 && bytes.suffix(6).allSatisfy(LinuxNames.isHex)
    }

    /// A subnet as its bridge's alias records it.
    struct Subnet: Sendable, Equatable {
        var network: String
        var cidr: CIDR
        var isPublic: Bool

        var alias: String { LinuxRouter.aliasPrefix + "\(network):\(cidr):\(isPublic ? "public" : "private")" }
        /// The subnet's gateway, the router's address on its bridge: the first host address.
        var gateway: IPv4Address { IPv4Address(cidr.network.value + 1) }

        init(network: String, cidr: CIDR, isPublic: Bool) {
            self.network = network
            self.cidr = cidr
            self.isPublic = isPublic
        }

        init?(alias: String?) {
            guard let alias, alias.hasPrefix(LinuxRouter.aliasPrefix) else { return nil }
            let parts = alias.dropFirst(LinuxRouter.aliasPrefix.count).split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 3, Name.isValid(String(parts[0])), let cidr = CIDR(String(parts[1])), cidr.prefix <= 30,
                  parts[2] == "public" || parts[2] == "private" else { return nil }
            network = String(parts[0])
            self.cidr = cidr
            isPublic = parts[2] == "public"
        }
    }

    /// The subnets of the router as its links record them: bridge name → subnet.
    func subnets(_ links: [KernelLink]) -> [String: Subnet] {
        Dictionary(links.compactMap { link in isBridge(link.name) ? Subnet(alias: link.alias).map { (link.name, $0) } : nil }, uniquingKeysWith: { a, _ in a })
    }
}
