/// An IPv4 address.
public struct IPv4Address: Sendable, Equatable, Hashable, Comparable, CustomStringConvertible {
    public var value: UInt32

    public init(_ value: UInt32) { self.value = value }

    /// Parses dotted-quad text; nil when malformed.
    public init?(_ text: String) {
        // Four decimal octets of one to three digits, without leading zeros, read from the bytes.
        var value: UInt32 = 0, octet: UInt32 = 0, digits = 0, dots = 0, leadingZero = false
        for byte in text.utf8 {
            if byte == UInt8(ascii: ".") {
                guard digits > 0, dots < 3 else { return nil }
                value = value << 8 | octet
                octet = 0
                digits = 0
                dots += 1
            } else if byte >= 0x30 && byte <= 0x39 {
                if digits == 0 { leadingZero = byte == 0x30 } else if leadingZero { return nil }
                octet = octet * 10 + UInt32(byte - 0x30)
                digits += 1
                guard digits <= 3, octet <= 255 else { return nil }
            } else {
                return nil
            }
        }
        guard dots == 3, digits > 0 else { return nil }
        self.value = value << 8 | octet
    }

    public var description: String {
        "\(value >> 24).\(value >> 16 & 0xFF).\(value >> 8 & 0xFF).\(value & 0xFF)"
    }

    public static func < (lhs: IPv4Address, rhs: IPv4Address) -> Bool { lhs.value < rhs.value }
}

/// An IPv4 network in CIDR notation, such as `10.0.0.0/16`.
public struct CIDR: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var network: IPv4Address
    public var prefix: Int

    /// Parses `a.b.c.d/n`; nil when malformed or when host bits are set.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = IPv4Address(String(parts[0])), parts[1].allSatisfy(\.isASCII),
            let prefix = Int(parts[1]), (0...32).contains(prefix), parts[1] == "0" || !parts[1].hasPrefix("0")
        else { return nil }
        self.network = address
        self.prefix = prefix
        if address.value & ~mask != 0 { return nil }
    }

    public init(network: IPv4Address, prefix: Int) {
        self.network = network
        self.prefix = prefix
    }

    public var mask: UInt32 { prefix == 0 ? 0 : UInt32.max << UInt32(32 - prefix) }
    public var size: UInt64 { UInt64(1) << UInt64(32 - prefix) }
    public var last: IPv4Address { IPv4Address(network.value | ~mask) }

    public func contains(_ address: IPv4Address) -> Bool { address.value & mask == network.value }
    public func contains(_ other: CIDR) -> Bool { other.prefix >= prefix && contains(other.network) }
    public func overlaps(_ other: CIDR) -> Bool { contains(other.network) || other.contains(network) }

    public var description: String { "\(network)/\(prefix)" }
}
