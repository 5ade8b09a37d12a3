import FirmBase
import FirmModel

/// Every name the provider gives the kernel, derived from the settings' prefix, the sandbox and
/// the VM name alone, so that a later run (or a recovery after kill -9) finds the same things.
/// Link names fit the kernel's 15 characters (IFNAMSIZ - 1); namespace names are at most 24.
///
/// - the sandbox's switch: namespace `PREFIX-SSSSSS` (6 hex digits of the prefix and sandbox),
///   which holds the bridges and the host ends of every app's veths;
/// - an app: namespace `PREFIX-SSSSSS-AAAAAAAA` (8 hex digits of the sandbox and VM name);
/// - a VLAN: bridge `PREFIXvN` in the switch;
/// - an app's interface k: `ethK` in its namespace, and port `pAAAAAAAA-K` in the switch.
struct LinuxNames: Sendable, Equatable {
    let prefix: String
    let sandbox: String
    /// The switch namespace, and the start of every app namespace of the sandbox.
    let sandboxSwitch: String

    init(prefix: String, sandbox: String) {
        self.prefix = prefix
        self.sandbox = sandbox
        sandboxSwitch = prefix + "-" + String(SHA256.hex(prefix + "\u{0}" + sandbox).prefix(6))
    }

    /// The 8 hex digits that name an app's namespace and ports.
    func appKey(_ vmName: String) -> String {
        String(SHA256.hex(sandboxSwitch + "\u{0}" + vmName).prefix(8))
    }

    func namespace(vmName: String) -> String { sandboxSwitch + "-" + appKey(vmName) }

    /// The app key of one of this sandbox's app namespaces, or nil for any other name.
    func appKey(ofNamespace name: String) -> String? {
        guard name.hasPrefix(sandboxSwitch + "-") else { return nil }
        let key = name.dropFirst(sandboxSwitch.count + 1)
        return key.count == 8 && key.utf8.allSatisfy(Self.isHex) ? String(key) : nil
    }

    static func port(appKey: String, index: Int) -> String { "p\(appKey)-\(index)" }

    /// The app key and interface index of a port name, or nil for any other link.
    static func parsePort(_ name: String) -> (key: String, index: Int)? {
        let bytes = Array(name.utf8)
        guard bytes.count >= 11, bytes.count <= 15, bytes[0] == UInt8(ascii: "p"), bytes[9] == UInt8(ascii: "-"),
              bytes[1..<9].allSatisfy(isHex), let index = Int(String(decoding: bytes[10...], as: UTF8.self)), (0...99).contains(index)
        else { return nil }
        return (String(decoding: bytes[1..<9], as: UTF8.self), index)
    }

    static func interface(_ index: Int) -> String { "eth\(index)" }

    func bridge(vlan: Int) -> String { "\(prefix)v\(vlan)" }

    /// The VLAN of one of this provider's bridges, or nil for any other link.
    func vlan(ofBridge name: String) -> Int? {
        guard name.hasPrefix(prefix + "v"), let id = Int(name.dropFirst(prefix.count + 1)), VLANRange.all.contains(id),
              bridge(vlan: id) == name else { return nil }
        return id
    }

    /// A stable MAC for an app's interface, from its VM name: "02" (locally administered,
    /// unicast) and five bytes of SHA-256, so a recreated namespace keeps its peers' ARP entries.
    static func mac(vmName: String, interface: String) -> String {
        let digest = SHA256.hex(vmName + "/" + interface)
        var parts = ["02"]
        var index = digest.startIndex
        for _ in 0..<5 {
            let next = digest.index(index, offsetBy: 2)
            parts.append(String(digest[index..<next]))
            index = next
        }
        return parts.joined(separator: ":")
    }

    static func isHex(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }
}
