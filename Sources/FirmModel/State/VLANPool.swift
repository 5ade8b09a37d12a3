import FirmBase

/// The VLAN ids that the sandboxes on each L2 provider hold, so that no two live sandboxes get
/// the same id: provider key → sandbox → network → VLAN id. A provider's key names the cloud
/// (its type and settings), not its name in one blueprint. Kept where every `firm` using the
/// state folder (or backend) sees it, and changed only under its lock.
public struct VLANPool: Sendable, Equatable {
    public static let formatVersion = 1
    public var providers: [String: [String: [String: Int]]]

    public init(providers: [String: [String: [String: Int]]] = [:]) {
        self.providers = providers
    }

    /// The ids on `key` held by sandboxes other than `sandbox`, with the sandbox holding each.
    public func heldByOthers(_ key: String, except sandbox: String) -> [Int: String] {
        var result: [Int: String] = [:]
        for (other, networks) in providers[key] ?? [:] where other != sandbox {
            for id in networks.values where result[id] == nil || other < result[id]! { result[id] = other }
        }
        return result
    }

    /// Sets what `sandbox` holds on `key`; an empty map forgets it.
    public mutating func set(_ key: String, sandbox: String, _ networks: [String: Int]) {
        providers[key, default: [:]][sandbox] = networks.isEmpty ? nil : networks
        if providers[key]?.isEmpty == true { providers[key] = nil }
    }

    public var json: JSON {
        let list = providers.keys.sorted().map { key -> (String, JSON) in
            let sandboxes = providers[key]!
            return (key, .object(JSONObject(sandboxes.keys.sorted().map { sandbox in
                (sandbox, .object(JSONObject(sandboxes[sandbox]!.keys.sorted().map { ($0, .int(sandboxes[sandbox]![$0]!)) })))
            })))
        }
        return ["version": .int(Self.formatVersion), "providers": .object(JSONObject(list))]
    }

    /// Decodes a pool file, checking every name and id.
    package static func decode(_ node: JSONNode, _ c: inout DecodingContext) -> VLANPool? {
        let root = JSONPath()
        guard let f = c.members(of: node, at: root, allowed: ["version", "providers"], required: ["version", "providers"]),
            let version = f["version"].flatMap({ c.int($0, at: root.key("version"), in: 0...1_000_000) })
        else { return nil }
        guard version == formatVersion else {
            c.report(root.key("version"), "VLAN pool format \(version) is not supported; this firm reads version \(formatVersion)", at: f["version"]!.position)
            return nil
        }
        var pool = VLANPool()
        let pp = root.key("providers")
        for (key, _, sandboxes) in f["providers"].flatMap({ c.entries(of: $0, at: pp, what: "an object of providers") }) ?? [] {
            guard key.utf8.count <= 200, !key.unicodeScalars.contains(where: ControlCharacters.isControl) else {
                c.report(pp.key(key), "expected a provider key of at most 200 printable characters", at: sandboxes.position)
                continue
            }
            for (sandbox, position, networks) in c.entries(of: sandboxes, at: pp.key(key), what: "an object of sandboxes") ?? [] {
                let sp = pp.key(key).key(sandbox)
                guard c.name(sandbox, at: sp, position: position, what: "sandbox") != nil else { continue }
                var held: [String: Int] = [:]
                for (network, npos, id) in c.entries(of: networks, at: sp, what: "an object of networks") ?? [] {
                    let link = network.hasPrefix("link:") ? network.dropFirst(5).split(separator: ":", omittingEmptySubsequences: false) : []
                    guard Name.isValid(network) || (link.count == 2 && link.allSatisfy { Name.isValid(String($0)) }) else {
                        c.report(sp.key(network), "expected a network name", at: npos)
                        continue
                    }
                    if let vlan = c.int(id, at: sp.key(network), in: 1...4094) { held[network] = vlan }
                }
                pool.providers[key, default: [:]][sandbox] = held
            }
        }
        return pool
    }
}
