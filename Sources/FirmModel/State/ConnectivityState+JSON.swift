import FirmBase

/// JSON forms of the connectivity parts of the state.
extension NetworkState {
    public var json: JSON {
        var o = JSONObject([("provider", .string(provider))])
        if let vlan { o["vlan"] = .int(vlan) }
        if let cidr { o["cidr"] = .string(cidr) }
        if let subnetId { o["subnetId"] = .string(subnetId) }
        if cidr != nil { o["public"] = .bool(isPublic) }
        return .object(o)
    }

    package static func decode(_ node: JSONNode, _ path: JSONPath, _ c: inout DecodingContext) -> NetworkState? {
        guard let f = c.members(of: node, at: path, allowed: ["provider", "vlan", "cidr", "subnetId", "public"], required: ["provider"]),
            let provider = f["provider"].flatMap({ c.string($0, at: path.key("provider")) })
        else { return nil }
        return NetworkState(provider: provider, vlan: f["vlan"].flatMap { c.int($0, at: path.key("vlan"), in: 1...4094) },
                            cidr: f["cidr"].flatMap { c.string($0, at: path.key("cidr")) },
                            subnetId: f["subnetId"].flatMap { c.string($0, at: path.key("subnetId")) },
                            isPublic: f["public"].flatMap { c.bool($0, at: path.key("public")) } ?? false)
    }
}

extension Connection {
    public var json: JSON {
        var o = JSONObject()
        if let vlan { o["vlan"] = .int(vlan) }
        if let mode { o["mode"] = .string(mode.rawValue) }
        o["interface"] = .string(interface)
        if let subnetId { o["subnetId"] = .string(subnetId) }
        return .object(o)
    }

    static func decode(_ node: JSONNode, _ path: JSONPath, _ c: inout DecodingContext) -> Connection? {
        guard let f = c.members(of: node, at: path, allowed: ["vlan", "mode", "interface", "subnetId"], required: ["interface"]),
            let interface = f["interface"].flatMap({ c.string($0, at: path.key("interface")) })
        else { return nil }
        return Connection(vlan: f["vlan"].flatMap { c.int($0, at: path.key("vlan"), in: 1...4094) },
                          mode: f["mode"].flatMap { c.choice($0, at: path.key("mode"), ["access", "trunk"]) }.flatMap(PortMode.init(rawValue:)),
                          interface: interface, subnetId: f["subnetId"].flatMap { c.string($0, at: path.key("subnetId")) })
    }
}

extension InfraState {
    public var json: JSON {
        var object = JSONObject([("cidr", .string(cidr)), ("networkId", .string(networkId)), ("keys", .string(keys))])
        if cleaning { object["cleaning"] = true }
        return .object(object)
    }

    package static func decode(_ node: JSONNode, _ path: JSONPath, _ c: inout DecodingContext) -> InfraState? {
        guard let f = c.members(of: node, at: path, allowed: ["cidr", "networkId", "keys", "cleaning"], required: ["cidr", "networkId", "keys"]),
            let cidr = f["cidr"].flatMap({ c.string($0, at: path.key("cidr")) }),
            let networkId = f["networkId"].flatMap({ c.string($0, at: path.key("networkId")) }),
            let keys = f["keys"].flatMap({ c.string($0, at: path.key("keys")) })
        else { return nil }
        let cleaning = f["cleaning"].flatMap { c.bool($0, at: path.key("cleaning")) } ?? false
        return InfraState(cidr: cidr, networkId: networkId, keys: keys, cleaning: cleaning)
    }
}
