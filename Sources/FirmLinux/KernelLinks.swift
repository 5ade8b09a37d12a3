import FirmBase

/// One network link as `ip -json link` (or `addr`) describes it, read as hostile input: only
/// the fields the provider uses, each checked for its type.
struct KernelLink: Sendable, Equatable {
    var name: String
    var flags: [String]
    var master: String?
    var alias: String?
    var mac: String?
    /// IPv4 addresses with their prefix lengths (from `ip -json addr`).
    var addresses: [String]
    /// The prefix length of each of `addresses`, in the same order.
    var prefixLengths: [Int] = []
    /// A bridge port's state (`forwarding`, `disabled`, …), from `ip -d`'s slave data.
    var portState: String? = nil

    var isUp: Bool { flags.contains("UP") }
}

/// Reads what `ip -json` writes.
enum KernelJSON {
    /// The links of one `ip -json link show` or `ip -json addr show` answer. Empty output is
    /// no links (ip writes nothing for some empty answers).
    static func links(_ bytes: [UInt8], source: String) throws -> [KernelLink] {
        guard bytes.contains(where: { !($0 == 0x20 || $0 == 0x0A || $0 == 0x09 || $0 == 0x0D) }) else { return [] }
        let items = try array(bytes, source: source)
        return try items.enumerated().map { index, item in
            let here = "\(source)[\(index)]"
            guard case .object = item else { throw KernelError.output("\(here): expected a link object, found \(item.compactText.prefix(40))") }
            guard let name = item["ifname"]?.stringValue, !name.isEmpty, name.utf8.count <= 15 else {
                throw KernelError.output("\(here).ifname: expected an interface name of 1 to 15 bytes")
            }
            var flags: [String] = []
            if let raw = item["flags"] {
                guard let list = raw.arrayValue else { throw KernelError.output("\(here).flags: expected an array of strings") }
                flags = try list.map {
                    guard let flag = $0.stringValue else { throw KernelError.output("\(here).flags: expected an array of strings") }
                    return flag
                }
            }
            let master = try optionalString(item, "master", here)
            let alias = try optionalString(item, "ifalias", here)
            let mac = try optionalString(item, "address", here)
            var addresses: [String] = [], prefixLengths: [Int] = []
            if let info = item["addr_info"] {
                guard let list = info.arrayValue else { throw KernelError.output("\(here).addr_info: expected an array") }
                for entry in list where entry["family"]?.stringValue == "inet" {
                    guard let local = entry["local"]?.stringValue, IPv4Address(local) != nil, let length = entry["prefixlen"]?.intValue, (0...32).contains(length) else {
                        throw KernelError.output("\(here).addr_info: expected an IPv4 \"local\" address and a \"prefixlen\" from 0 to 32")
                    }
                    addresses.append(local)
                    prefixLengths.append(length)
                }
            }
            var portState: String?
            if let info = item["linkinfo"], let slave = info["info_slave_data"] {
                portState = try optionalString(slave, "state", here + ".linkinfo.info_slave_data")
            }
            return KernelLink(name: name, flags: flags, master: master, alias: alias, mac: mac, addresses: addresses, prefixLengths: prefixLengths, portState: portState)
        }
    }

    /// The names of `ip -json netns list`.
    static func namespaces(_ bytes: [UInt8], source: String) throws -> [String] {
        guard bytes.contains(where: { !($0 == 0x20 || $0 == 0x0A || $0 == 0x09 || $0 == 0x0D) }) else { return [] }
        return try array(bytes, source: source).enumerated().map { index, item in
            guard let name = item["name"]?.stringValue, !name.isEmpty, name.utf8.count <= 255 else {
                throw KernelError.output("\(source)[\(index)].name: expected a namespace name")
            }
            return name
        }
    }

    static func array(_ bytes: [UInt8], source: String) throws -> [JSON] {
        let node: JSONNode
        do {
            node = try JSONReader.parse(bytes)
        } catch {
            throw KernelError.output("\(source): not JSON (\(error))")
        }
        guard let items = node.plain.arrayValue else { throw KernelError.output("\(source): expected a JSON array") }
        return items
    }

    static func optionalString(_ item: JSON, _ key: String, _ here: String) throws -> String? {
        guard let value = item[key] else { return nil }
        guard let text = value.stringValue else { throw KernelError.output("\(here).\(key): expected a string") }
        return text
    }
}
