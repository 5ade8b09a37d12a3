import FirmBase

/// Masking of sensitive values for display: attribute names that look like secrets, and every
/// value that came from `{"env": …}`.
public enum Masking {
    static let markers = ["password", "secret", "token", "key", "credential", "private"]
    public static let mask = "(sensitive)"

    /// Whether an attribute name looks like it holds a secret.
    public static func isSensitive(_ name: String) -> Bool {
        let lower = name.lowercased()
        return markers.contains { lower.contains($0) }
    }

    /// A JSON tree with every string or number under a sensitive-looking key masked
    /// (`{"env": …}` references are kept: they name a variable, not its value).
    static func masked(tree: JSON) -> JSON {
        switch tree {
        case .array(let items): return .array(items.map { masked(tree: $0) })
        case .object(let o):
            return .object(JSONObject(o.keys.map { key -> (String, JSON) in
                let value = o[key]!
                switch value {
                case .string, .number: return (key, isSensitive(key) ? .string(mask) : value)
                default: return (key, masked(tree: value))
                }
            }))
        default: return tree
        }
    }

    static func masked(_ map: [String: String]) -> JSON {
        .object(JSONObject(map.keys.sorted().map { ($0, isSensitive($0) ? .string(mask) : .string(map[$0]!)) }))
    }

    static func masked(_ map: [String: AttributeValue]) -> JSON {
        .object(JSONObject(map.keys.sorted().map { key in
            switch map[key]! {
            case .env(let name): (key, ["env": .string(name)])
            case .snapshot(let name): (key, ["snapshot": .string(name)])
            case .literal(let s): (key, isSensitive(key) ? .string(mask) : .string(s))
            }
        }))
    }
}

extension AppState {
    /// The JSON form with sensitive values masked, for `firm show` and `firm state show`.
    public var maskedJSON: JSON {
        guard case .object(var o) = json else { return json }
        o["attributes"] = Masking.masked(attributes)
        o["deployedAttributes"] = Masking.masked(deployedAttributes)
        o["additionalData"] = .object(JSONObject(additionalData.keys.sorted().map { key in
            (key, Masking.isSensitive(key) ? .string(Masking.mask) : additionalData[key]!)
        }))
        var path = deploymentPath.json.objectValue ?? JSONObject()
        path["attributes"] = Masking.masked(deploymentPath.attributes)
        o["deploymentPath"] = .object(path)
        return .object(o)
    }
}

extension State {
    /// The JSON form with sensitive values masked.
    public var maskedJSON: JSON {
        guard case .object(var o) = json else { return json }
        o["apps"] = .object(JSONObject(apps.keys.sorted().map { ($0, apps[$0]!.maskedJSON) }))
        o["infra"] = .object(JSONObject(infra.keys.sorted().map { key in
            var i = infra[key]!
            i.keys = Masking.mask
            return (key, i.json)
        }))
        if var record = sandbox {
            record.providers = Masking.masked(tree: record.providers)
            o["sandbox"] = record.json
        }
        return .object(o)
    }
}
