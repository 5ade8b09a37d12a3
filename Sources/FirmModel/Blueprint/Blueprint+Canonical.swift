import FirmBase

/// Canonical JSON forms and digests, so that equal inputs give equal bytes.
extension DeploymentPath {
    public var json: JSON {
        [
            "provider": .string(provider),
            "deploymentType": .string(deploymentType),
            "attributes": AttributeValue.json(attributes),
        ]
    }

    /// The SHA-256 of the canonical JSON.
    public var digest: String { SHA256.hex(JSONWriter(pretty: false).bytes(json)) }
}

extension AttributeValue {
    /// An attribute map as a JSON object with sorted keys.
    public static func json(_ map: [String: AttributeValue]) -> JSON {
        .object(JSONObject(map.keys.sorted().map { ($0, map[$0]!.json) }))
    }
}

extension Blueprint {
    /// The whole blueprint in canonical form: sorted names, defaults filled in.
    public var canonicalJSON: JSON {
        let providerList = providers.keys.sorted().map { name -> (String, JSON) in
            let p = providers[name]!
            return (name, ["type": .string(p.type), "connectivity": .string(p.connectivity.rawValue), "settings": p.settings])
        }
        let appList = apps.keys.sorted().map { name -> (String, JSON) in
            let a = apps[name]!
            return (name, [
                "deploymentPath": a.deploymentPath.json, "attributes": AttributeValue.json(a.attributes),
                "power": .string(a.power.rawValue), "waitForIP": .bool(a.waitForIP),
            ])
        }
        let networkList = networks.keys.sorted().map { name -> (String, JSON) in
            let n = networks[name]!
            switch n.kind {
            case .vlan(.fixed(let id)): return (name, ["provider": .string(n.provider), "vlan": .int(id)])
            case .vlan(.auto): return (name, ["provider": .string(n.provider), "vlan": "auto"])
            case .subnet(let cidr, let isPublic): return (name, ["provider": .string(n.provider), "subnet": .string(cidr), "public": .bool(isPublic)])
            }
        }
        let connectorList = connectors.map { c -> JSON in
            var o = JSONObject([("from", .string(c.from)), ("to", .string(c.to))])
            if let mode = c.mode { o["mode"] = .string(mode.rawValue) }
            return .object(o)
        }
        return [
            "version": 1, "name": .string(name),
            "providers": .object(JSONObject(providerList)), "apps": .object(JSONObject(appList)),
            "networks": .object(JSONObject(networkList)), "connectors": .array(connectorList),
        ]
    }

    /// What a saved plan checks the blueprint against: the SHA-256 of the file it was read from,
    /// or of the canonical form for a blueprint built in code.
    public var digest: String { sourceDigest ?? canonicalDigest }

    /// The SHA-256 of the canonical form: formatting and key order do not change it.
    public var canonicalDigest: String { SHA256.hex(JSONWriter(pretty: false).bytes(canonicalJSON)) }
}
