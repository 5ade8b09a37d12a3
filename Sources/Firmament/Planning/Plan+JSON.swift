/// The plan's JSON form, read by tools outside this repo and by `firm apply PLANFILE`. It holds
/// no attribute values, so no secret can reach a plan file.
extension Plan {
    public var json: JSON {
        [
            "formatVersion": .int(Plan.formatVersion),
            "blueprint": ["name": .string(blueprintName), "file": .string(blueprintFile), "digest": .string(blueprintDigest)],
            "state": ["lineage": .string(lineage), "serial": .int(serial)],
            "actions": .array(actions.map(\.json)),
            "summary": .object(JSONObject(summary.map { ($0.0.rawValue, .int($0.1)) })),
        ]
    }

    /// Reads a saved plan file's JSON.
    public static func decode(_ node: JSONNode, file: String) throws(PlanError) -> Plan {
        var c = DecodingContext(file: file)
        let root = JSONPath()
        let plan: Plan? = {
            guard let f = c.members(of: node, at: root, allowed: ["formatVersion", "blueprint", "state", "actions", "summary"],
                                    required: ["formatVersion", "blueprint", "state", "actions"]) else { return nil }
            if let v = f["formatVersion"].flatMap({ c.int($0, at: root.key("formatVersion")) }), v != Plan.formatVersion {
                c.report(root.key("formatVersion"), "plan format \(v) is not supported; expected \(Plan.formatVersion)", at: f["formatVersion"]!.position)
                return nil
            }
            guard let b = f["blueprint"].flatMap({ c.members(of: $0, at: root.key("blueprint"), allowed: ["name", "file", "digest"], required: ["name", "file", "digest"]) }),
                let name = b["name"].flatMap({ c.string($0, at: root.key("blueprint").key("name")) }),
                let bfile = b["file"].flatMap({ c.string($0, at: root.key("blueprint").key("file")) }),
                let digest = b["digest"].flatMap({ c.string($0, at: root.key("blueprint").key("digest")) }),
                let s = f["state"].flatMap({ c.members(of: $0, at: root.key("state"), allowed: ["lineage", "serial"], required: ["lineage", "serial"]) }),
                let lineage = s["lineage"].flatMap({ c.string($0, at: root.key("state").key("lineage")) }),
                let serial = s["serial"].flatMap({ c.int($0, at: root.key("state").key("serial")) }),
                let actionsNode = f["actions"], case .array(let items) = actionsNode.kind
            else { return nil }
            var actions: [PlannedAction] = []
            for (i, item) in items.enumerated() {
                if let action = PlannedAction.decode(item, root.key("actions").index(i), &c) { actions.append(action) }
            }
            return Plan(blueprintName: name, blueprintFile: bfile, blueprintDigest: digest, lineage: lineage, serial: serial, actions: actions)
        }()
        guard let plan, c.diagnostics.isEmpty else { throw .invalid(c.diagnostics) }
        return plan
    }
}

extension PlannedAction {
    public var json: JSON {
        var o = JSONObject([
            ("id", .string(id)), ("type", .string(type.rawValue)), ("target", .string(target)),
            ("dependsOn", .array(dependsOn.map(JSON.string))), ("reason", .string(reason)), ("provider", .string(provider)),
        ])
        if !changedFields.isEmpty { o["changedFields"] = .array(changedFields.map(JSON.string)) }
        if let details = details.json { o["details"] = details }
        return .object(o)
    }

    static func decode(_ node: JSONNode, _ path: JSONPath, _ c: inout DecodingContext) -> PlannedAction? {
        guard let f = c.members(of: node, at: path, allowed: ["id", "type", "target", "dependsOn", "reason", "provider", "changedFields", "details"],
                                required: ["id", "type", "target", "dependsOn", "reason", "provider"]),
            let typeText = f["type"].flatMap({ c.choice($0, at: path.key("type"), ActionType.allCases.map(\.rawValue)) }),
            let target = f["target"].flatMap({ c.string($0, at: path.key("target")) }),
            let reason = f["reason"].flatMap({ c.string($0, at: path.key("reason")) }),
            let provider = f["provider"].flatMap({ c.string($0, at: path.key("provider")) }),
            let deps = f["dependsOn"]?.plain.arrayValue
        else { return nil }
        var details = ActionDetails.none
        if let node = f["details"] {
            guard let d = ActionDetails(node.plain) else {
                c.report(path.key("details"), "expected the details of a \(typeText) action", at: node.position)
                return nil
            }
            details = d
        }
        let action = PlannedAction(type: ActionType(rawValue: typeText)!, target: target, dependsOn: deps.compactMap(\.stringValue),
                                   reason: reason, provider: provider, changedFields: f["changedFields"]?.plain.arrayValue?.compactMap(\.stringValue) ?? [],
                                   details: details)
        if let id = f["id"]?.plain.stringValue, id != action.id {
            c.report(path.key("id"), "expected \(quoted(action.id)) for this type and target", at: f["id"]!.position)
            return nil
        }
        return action
    }
}

extension ActionDetails {
    /// The JSON form, or nil for `.none`.
    var json: JSON? {
        switch self {
        case .none: return nil
        case .vlan(let network, let vlan, let mode): return ["network": .string(network), "vlan": .int(vlan), "mode": .string(mode.rawValue)]
        case .subnets(let names): return ["subnets": .array(names.map(JSON.string))]
        case .prepare(let cloud, let subnets, let keys):
            var o = JSONObject()
            if let cloud { o["cloud"] = .string(cloud) }
            o["prepareSubnets"] = .array(subnets.map { ["name": .string($0.name), "cidr": .string($0.cidr), "public": .bool($0.isPublic)] })
            o["createKeys"] = .bool(keys)
            return .object(o)
        case .clean(let all, let subnets): return ["all": .bool(all), "cleanSubnets": .array(subnets.map(JSON.string))]
        }
    }

    init?(_ json: JSON) {
        if let network = json["network"]?.stringValue, let vlan = json["vlan"]?.intValue,
            let mode = json["mode"]?.stringValue.flatMap(PortMode.init(rawValue:)) {
            self = .vlan(network: network, vlan: vlan, mode: mode)
        } else if let names = json["subnets"]?.arrayValue {
            self = .subnets(names.compactMap(\.stringValue))
        } else if let subnets = json["prepareSubnets"]?.arrayValue, let keys = json["createKeys"]?.boolValue {
            let planned = subnets.compactMap { s -> PlannedSubnet? in
                guard let name = s["name"]?.stringValue, let cidr = s["cidr"]?.stringValue else { return nil }
                return PlannedSubnet(name: name, cidr: cidr, isPublic: s["public"]?.boolValue ?? false)
            }
            self = .prepare(cloud: json["cloud"]?.stringValue, subnets: planned, keys: keys)
        } else if let all = json["all"]?.boolValue, let subnets = json["cleanSubnets"]?.arrayValue {
            self = .clean(all: all, subnets: subnets.compactMap(\.stringValue))
        } else {
            return nil
        }
    }
}

/// Why a saved plan cannot be used.
public enum PlanError: Error, Equatable, CustomStringConvertible {
    case invalid([Diagnostic])
    case stale(String)

    public var description: String {
        switch self {
        case .invalid(let d): d.map(\.description).joined(separator: "\n")
        case .stale(let why): "stale plan: \(why); run `firm plan` again"
        }
    }
}
