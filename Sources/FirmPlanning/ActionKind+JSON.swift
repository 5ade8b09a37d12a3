import FirmBase
import FirmModel

/// An action's `target` and `details` in plan JSON, checked against its `type`.
extension ActionKind {
    /// The `details` member, or nil when the type needs none.
    var detailsJSON: JSON? {
        switch self {
        case .deploy(_, let subnets), .replace(_, let subnets):
            return subnets.isEmpty ? nil : ["subnets": .array(subnets.map(JSON.string))]
        case .connect(_, let link), .disconnect(_, let link):
            return ["network": .string(link.network), "vlan": .int(link.vlan), "mode": .string(link.mode.rawValue)]
        case .prepareInfra(let p):
            var o = JSONObject()
            if let cloud = p.cloud { o["cloud"] = .string(cloud) }
            o["prepareSubnets"] = .array(p.subnets.map { ["name": .string($0.name), "cidr": .string($0.cidr), "public": .bool($0.isPublic)] })
            o["createKeys"] = .bool(p.createKeys)
            return .object(o)
        case .cleanInfra(.sandbox(_, let subnets)):
            return ["all": true, "cleanSubnets": .array(subnets.map(JSON.string))]
        case .cleanInfra(.subnet(let name)):
            return ["all": false, "cleanSubnets": [.string(name)]]
        case .delete, .powerOn, .powerOff, .refreshIP:
            return nil
        }
    }

    /// The kind for `type`, `target` and `details`, or nil with every mismatch reported.
    static func decode(_ type: ActionType, target: String, targetNode: JSONNode, provider: String, details: JSONNode?,
                       _ path: JSONPath, _ c: inout DecodingContext) -> ActionKind? {
        let targetPath = path.key("target"), detailsPath = path.key("details")
        func named(_ prefix: String, what: String) -> String? {
            guard target.hasPrefix(prefix + ".") else {
                c.report(targetPath, "a \(type.rawValue) action targets \(prefix).NAME, not \(quoted(target))", at: targetNode.position)
                return nil
            }
            return c.name(String(target.dropFirst(prefix.count + 1)), at: targetPath, position: targetNode.position, what: what)
        }
        func needs(_ keys: [String], optional: [String] = []) -> JSONFields? {
            guard let details else {
                c.report(path, "a \(type.rawValue) action needs \"details\" with " + keys.joined(separator: ", "), at: nil)
                return nil
            }
            return c.members(of: details, at: detailsPath, allowed: keys + optional, required: keys)
        }
        func none() -> Bool {
            guard let details else { return true }
            c.report(detailsPath, "a \(type.rawValue) action has no details", at: details.position)
            return false
        }
        func networks(_ node: JSONNode?, at p: JSONPath) -> [String]? {
            guard let node, let items = c.array(node, at: p) else { return nil }
            var names: [String] = []
            for (i, item) in items.enumerated() {
                guard let n = c.name(item, at: p.index(i), what: "network") else { return nil }
                names.append(n)
            }
            return names
        }

        switch type {
        case .deploy, .replace:
            guard let app = named("app", what: "app") else { return nil }
            var subnets: [String] = []
            if details != nil {
                guard let f = needs(["subnets"]), let s = networks(f["subnets"], at: detailsPath.key("subnets")) else { return nil }
                subnets = s
            }
            return type == .deploy ? .deploy(app: app, subnets: subnets) : .replace(app: app, subnets: subnets)
        case .delete, .powerOn, .powerOff, .refreshIP:
            guard let app = named("app", what: "app"), none() else { return nil }
            switch type {
            case .delete: return .delete(app: app)
            case .powerOn: return .powerOn(app: app)
            case .powerOff: return .powerOff(app: app)
            default: return .refreshIP(app: app)
            }
        case .connect, .disconnect:
            guard let app = named("app", what: "app"), let f = needs(["network", "vlan", "mode"]),
                let network = f["network"].flatMap({ c.name($0, at: detailsPath.key("network"), what: "network") }),
                let vlan = f["vlan"].flatMap({ c.int($0, at: detailsPath.key("vlan"), in: 1...4094) }),
                let mode = f["mode"].flatMap({ c.choice($0, at: detailsPath.key("mode"), PortMode.allCases.map(\.rawValue)) }).flatMap(PortMode.init(rawValue:))
            else { return nil }
            let link = VLANLink(network: network, vlan: vlan, mode: mode)
            return type == .connect ? .connect(app: app, link) : .disconnect(app: app, link)
        case .prepareInfra:
            guard let target = named("provider", what: "provider") else { return nil }
            guard target == provider else {
                c.report(targetPath, "a prepareInfra action targets its own provider, provider.\(provider)", at: targetNode.position)
                return nil
            }
            guard let f = needs(["prepareSubnets", "createKeys"], optional: ["cloud"]),
                let keys = f["createKeys"].flatMap({ c.bool($0, at: detailsPath.key("createKeys")) }),
                let items = f["prepareSubnets"].flatMap({ c.array($0, at: detailsPath.key("prepareSubnets")) })
            else { return nil }
            let cloud = f["cloud"].flatMap { c.cidr($0, at: detailsPath.key("cloud")) }
            if f["cloud"] != nil && cloud == nil { return nil }
            var subnets: [SubnetSpec] = []
            for (i, item) in items.enumerated() {
                let p = detailsPath.key("prepareSubnets").index(i)
                guard let s = c.members(of: item, at: p, allowed: ["name", "cidr", "public"], required: ["name", "cidr", "public"]),
                    let name = s["name"].flatMap({ c.name($0, at: p.key("name"), what: "network") }),
                    let cidr = s["cidr"].flatMap({ c.cidr($0, at: p.key("cidr")) }),
                    let isPublic = s["public"].flatMap({ c.bool($0, at: p.key("public")) })
                else { return nil }
                subnets.append(SubnetSpec(name: name, cidr: cidr, isPublic: isPublic))
            }
            return .prepareInfra(InfraPreparation(provider: provider, cloud: cloud, subnets: subnets, createKeys: keys))
        case .cleanInfra:
            guard let f = needs(["all", "cleanSubnets"]), let all = f["all"].flatMap({ c.bool($0, at: detailsPath.key("all")) }),
                let subnets = networks(f["cleanSubnets"], at: detailsPath.key("cleanSubnets"))
            else { return nil }
            if all {
                guard let target = named("provider", what: "provider") else { return nil }
                guard target == provider else {
                    c.report(targetPath, "a cleanInfra of a whole sandbox targets its own provider, provider.\(provider)", at: targetNode.position)
                    return nil
                }
                return .cleanInfra(.sandbox(provider: provider, subnets: subnets))
            }
            guard let network = named("network", what: "network") else { return nil }
            guard subnets == [network] else {
                c.report(detailsPath.key("cleanSubnets"), "a cleanInfra of one subnet lists exactly that network, [\(quoted(network))]", at: details?.position)
                return nil
            }
            return .cleanInfra(.subnet(network))
        }
    }
}
