import FirmBase

/// Decodes and checks `networks` and `connectors`.
enum NetworkDecoder {
    static func networks(
        _ node: JSONNode, _ path: JSONPath, _ providers: [String: ProviderSpec], _ context: inout DecodingContext
    ) -> [String: NetworkSpec] {
        var result: [String: NetworkSpec] = [:]
        var vlanOwners: [String: [Int: String]] = [:]
        var subnets: [(provider: String, cidr: CIDR, name: String)] = []
        for (key, keyPosition, value) in context.entries(of: node, at: path, what: "an object of networks") ?? [] {
            let here = path.key(key)
            guard let name = context.name(key, at: here, position: keyPosition, what: "network"),
                let fields = context.members(of: value, at: here, shape: BlueprintShape.network),
                let providerNode = fields["provider"],
                let provider = BlueprintDecoder.providerReference(providerNode, here.key("provider"), providers, &context),
                let spec = providers[provider]
            else { continue }
            switch spec.connectivity {
            case .l2:
                for key in ["subnet", "public"] where fields[key] != nil {
                    context.report(here.key(key), "\(quoted(key)) is for L3 providers; \(quoted(provider)) is L2 and takes \"vlan\"", at: fields[key]!.position)
                }
                guard let vlanNode = fields["vlan"] else {
                    context.report(here, "missing required key \"vlan\" (a VLAN id from 2 to 4094, or \"auto\")", at: value.position)
                    continue
                }
                guard let vlan = vlanRequest(vlanNode, here.key("vlan"), spec, &context) else { continue }
                if case .fixed(let id) = vlan {
                    if let other = vlanOwners[provider]?[id] {
                        context.report(here.key("vlan"), "VLAN \(id) is already used by network \(quoted(other))", at: vlanNode.position)
                        continue
                    }
                    vlanOwners[provider, default: [:]][id] = name
                }
                result[name] = NetworkSpec(provider: provider, kind: .vlan(vlan))
            case .l3:
                if let vlan = fields["vlan"] {
                    context.report(here.key("vlan"), "\"vlan\" is for L2 providers; \(quoted(provider)) is L3 and takes \"subnet\"", at: vlan.position)
                }
                guard let subnetNode = fields["subnet"] else {
                    context.report(here, "missing required key \"subnet\" (a CIDR such as \"10.0.1.0/24\")", at: value.position)
                    continue
                }
                let isPublic = fields["public"].flatMap { context.bool($0, at: here.key("public")) } ?? false
                guard let text = context.string(subnetNode, at: here.key("subnet")) else { continue }
                guard let cidr = CIDR(text), (8...29).contains(cidr.prefix) else {
                    context.report(here.key("subnet"), "\(quoted(text)) is not a valid subnet; expected an IPv4 CIDR with a prefix from /8 to /29 and no host bits, such as \"10.0.1.0/24\"", at: subnetNode.position)
                    continue
                }
                if let cloud = spec.traits.cloudCIDR, !cloud.contains(cidr) {
                    context.report(here.key("subnet"), "\(cidr) is outside the provider's CIDR \(cloud)", at: subnetNode.position)
                    continue
                }
                if let other = subnets.first(where: { $0.provider == provider && $0.cidr.overlaps(cidr) }) {
                    context.report(here.key("subnet"), "\(cidr) overlaps network \(quoted(other.name)) (\(other.cidr))", at: subnetNode.position)
                    continue
                }
                subnets.append((provider, cidr, name))
                result[name] = NetworkSpec(provider: provider, kind: .subnet(cidr: cidr.description, isPublic: isPublic))
            }
        }
        return result
    }

    /// Reports an L2 provider whose VLAN range cannot hold all its networks, implicit ones too.
    static func checkVLANCapacity(_ path: JSONPath, _ blueprint: Blueprint, _ context: inout DecodingContext) {
        for (name, provider) in blueprint.providers.sorted(by: { $0.key < $1.key }) where provider.connectivity == .l2 {
            let networks = blueprint.networks.values.filter { $0.provider == name }.count
            let links = Set(blueprint.connectors.filter { blueprint.apps[$0.from]?.deploymentPath.provider == name && blueprint.apps[$0.to] != nil }
                .map { ConnectorSpec.linkName($0.from, $0.to) }).count
            let range = VLANRange.of(provider)
            if networks + links > range.count {
                context.report(path, "provider \(quoted(name)) needs \(networks + links) VLAN ids (\(networks) networks, \(links) app-to-app links) but its range \(range.lowerBound)-\(range.upperBound) has \(range.count)", at: nil)
            }
        }
    }

    /// Reports every network whose name is also an app's: the two share one namespace.
    static func checkNamespace(_ node: JSONNode?, _ path: JSONPath, _ blueprint: Blueprint, _ context: inout DecodingContext) {
        guard let node, case .object(let members) = node.kind else { return }
        for member in members where blueprint.apps[member.key] != nil {
            context.report(path.key(member.key), "the name \(quoted(member.key)) is also an app's; apps and networks share one namespace", at: member.keyPosition)
        }
    }

    static func vlanRequest(_ node: JSONNode, _ path: JSONPath, _ provider: ProviderSpec, _ context: inout DecodingContext) -> VLANRequest? {
        if case .string("auto") = node.kind { return .auto }
        guard case .number(let text) = node.kind, let id = Int(text) else {
            context.report(path, "expected a VLAN id from 2 to 4094, or \"auto\"; found \(node.typeName)", at: node.position)
            return nil
        }
        let range = VLANRange.of(provider)
        guard range.contains(id) else {
            context.report(path, "VLAN \(id) is outside \(range == VLANRange.all ? "2-4094" : "the provider's vlanRange \(range.lowerBound)-\(range.upperBound)")", at: node.position)
            return nil
        }
        return .fixed(id)
    }

    static func connectors(_ node: JSONNode, _ path: JSONPath, _ blueprint: Blueprint, _ context: inout DecodingContext) -> [ConnectorSpec] {
        guard case .array(let items) = node.kind else {
            context.report(path, "expected an array of connectors, found \(node.typeName)", at: node.position)
            return []
        }
        var result: [ConnectorSpec] = []
        var seen: [Set<String>: Int] = [:]
        for (index, item) in items.enumerated() {
            let here = path.index(index)
            guard let fields = context.members(of: item, at: here, shape: BlueprintShape.connector),
                let fromNode = fields["from"], let toNode = fields["to"],
                let from = endpoint(fromNode, here.key("from"), blueprint, &context),
                let to = endpoint(toNode, here.key("to"), blueprint, &context)
            else { continue }
            let mode = fields["mode"].flatMap { context.choice($0, at: here.key("mode"), ["access", "trunk"]) }.flatMap(PortMode.init(rawValue:))
            if from == to {
                context.report(here, "a connector must join two different names; both ends are \(quoted(from))", at: item.position)
                continue
            }
            if blueprint.apps[from] == nil && blueprint.apps[to] == nil {
                context.report(here, "a connector needs an app on at least one end; \(quoted(from)) and \(quoted(to)) are both networks", at: item.position)
                continue
            }
            let providerOf = { (name: String) in blueprint.apps[name]?.deploymentPath.provider ?? blueprint.networks[name]?.provider }
            let fromProvider = providerOf(from), toProvider = providerOf(to)
            if let fromProvider, let toProvider, fromProvider != toProvider {
                context.report(here, "the ends are on different providers (\(quoted(from)) on \(quoted(fromProvider)), \(quoted(to)) on \(quoted(toProvider)))", at: item.position)
                continue
            }
            if mode != nil, let provider = fromProvider, blueprint.providers[provider]?.connectivity == .l3, let modeNode = fields["mode"] {
                context.report(here.key("mode"), "\"mode\" applies to VLANs on L2 providers; \(quoted(provider)) is L3", at: modeNode.position)
                continue
            }
            let pair: Set<String> = [from, to]
            if let first = seen[pair] {
                context.report(here, "the same connector as connectors[\(first)]", at: item.position)
                continue
            }
            seen[pair] = index
            result.append(ConnectorSpec(from: from, to: to, mode: mode))
        }
        return result
    }

    /// Every app of an L3 provider whose type needs it (ec2) is connected to a subnet of that
    /// provider: checked here, before anything is made, rather than at the deploy.
    static func checkSubnetsConnected(_ appsNode: JSONNode?, _ path: JSONPath, _ blueprint: Blueprint, _ context: inout DecodingContext) {
        let needing = blueprint.providers.filter { $0.value.connectivity == .l3 && $0.value.traits.appsNeedSubnet }
        guard !needing.isEmpty else { return }
        var connected: Set<String> = []
        for connector in blueprint.connectors {
            for (app, network) in [(connector.from, connector.to), (connector.to, connector.from)] {
                if let spec = blueprint.apps[app], blueprint.networks[network]?.provider == spec.deploymentPath.provider { connected.insert(app) }
            }
        }
        // The fast path reads the apps without a tree: positions are there only on a miss.
        var positions: [String: SourcePosition] = [:]
        if let appsNode, case .object(let members) = appsNode.kind {
            for member in members { positions[member.key] = member.keyPosition }
        }
        for name in blueprint.apps.keys.sorted() {
            guard let app = blueprint.apps[name], needing[app.deploymentPath.provider] != nil, !connected.contains(name) else { continue }
            let provider = app.deploymentPath.provider
            let subnets = blueprint.networks.filter { $0.value.provider == provider }.keys.sorted()
            context.report(path.key(name), "is connected to no subnet; on provider \(quoted(provider)) (\(needing[provider]!.type)) every app needs a connector to one of its networks"
                + (subnets.isEmpty ? ", and it has none: add one to \"networks\"" : " (\(subnets.joined(separator: ", ")))"), at: positions[name])
        }
    }

    static func endpoint(_ node: JSONNode, _ path: JSONPath, _ blueprint: Blueprint, _ context: inout DecodingContext) -> String? {
        guard let name = context.string(node, at: path) else { return nil }
        if blueprint.apps[name] != nil || blueprint.networks[name] != nil { return name }
        if context.broken.contains("app \(name)") || context.broken.contains("network \(name)") { return nil }
        var message = "unknown app or network \(quoted(name))"
        if let hint = Spelling.closest(to: name, among: (Array(blueprint.apps.keys) + Array(blueprint.networks.keys)).sorted()) {
            message += " (did you mean \(hint)?)"
        }
        context.report(path, message, at: node.position)
        return nil
    }
}

/// The VLAN ids a provider may use.
public enum VLANRange {
    public static let all = 2...4094

    /// The VLAN ids the provider's type allows it (a `vlanRange` setting, say), or all usable ids.
    public static func of(_ provider: ProviderSpec) -> ClosedRange<Int> {
        provider.traits.vlanRange
    }

    /// Parses "LOW-HIGH" inside 2-4094.
    public static func parse(_ text: String) -> ClosedRange<Int>? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let low = Int(parts[0]), let high = Int(parts[1]), low <= high,
            all.contains(low), all.contains(high)
        else { return nil }
        return low...high
    }
}
