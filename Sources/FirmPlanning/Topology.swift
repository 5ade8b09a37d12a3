import FirmBase
import FirmModel

/// The networks and connections a blueprint asks for, resolved against the state: implicit
/// networks for app-to-app connectors, `auto` VLAN ids and implicit subnets allocated. Pure.
public struct Topology: Sendable, Equatable {
    public struct Network: Sendable, Equatable {
        public enum Kind: Sendable, Equatable {
            case vlan(Int)
            case subnet(cidr: String, isPublic: Bool)
        }

        public var provider: String
        public var kind: Kind
        /// Made for a connector between two apps, not declared.
        public var implicit: Bool
    }

    /// Every network, declared and implicit, by name.
    public var networks: [String: Network] = [:]
    /// app -> network -> port mode (access unless the connector says trunk; unused on L3).
    public var connections: [String: [String: PortMode]] = [:]

    /// The name of the implicit network between two apps: `link:A:B`, with A < B. Names
    /// cannot hold `:`, so it never clashes with a declared one.
    public static func linkName(_ a: String, _ b: String) -> String { ConnectorSpec.linkName(a, b) }

    /// The CIDR an L3 provider's cloud network is prepared with: the one its type reads from
    /// its settings, or 10.0.0.0/16.
    public static func cloudCIDR(_ provider: ProviderSpec) -> CIDR {
        provider.traits.cloudCIDR ?? defaultCloudCIDR
    }

    public static let defaultCloudCIDR = CIDR("10.0.0.0/16")!

    /// `reserved` holds, by provider, the VLAN ids that other sandboxes hold: `auto` VLANs never
    /// take them.
    public static func resolve(_ blueprint: Blueprint, state: State, reserved: [String: Set<Int>] = [:]) -> Topology {
        var topology = Topology()
        var autoVLANs: [String: [String]] = [:]
        var implicitSubnets: [String: [String]] = [:]
        for (name, spec) in blueprint.networks {
            switch spec.kind {
            case .vlan(.fixed(let id)): topology.networks[name] = Network(provider: spec.provider, kind: .vlan(id), implicit: false)
            case .vlan(.auto): autoVLANs[spec.provider, default: []].append(name)
            case .subnet(let cidr, let isPublic):
                topology.networks[name] = Network(provider: spec.provider, kind: .subnet(cidr: cidr, isPublic: isPublic), implicit: false)
            }
        }
        for connector in blueprint.connectors {
            let (a, b) = (connector.from, connector.to)
            let mode = connector.mode ?? .access
            if let from = blueprint.apps[a], blueprint.apps[b] != nil {
                let link = linkName(a, b)
                let provider = from.deploymentPath.provider
                switch blueprint.providers[provider]?.connectivity ?? .l2 {
                case .l2: autoVLANs[provider, default: []].append(link)
                case .l3: implicitSubnets[provider, default: []].append(link)
                }
                topology.connections[a, default: [:]][link] = mode
                topology.connections[b, default: [:]][link] = mode
            } else {
                let (app, network) = blueprint.apps[a] != nil ? (a, b) : (b, a)
                topology.connections[app, default: [:]][network] = mode
            }
        }
        for (provider, names) in autoVLANs {
            let spec = blueprint.providers[provider] ?? ProviderSpec(type: "")
            for (name, id) in allocateVLANs(names.sorted(), provider: provider, range: VLANRange.of(spec), topology: topology, state: state,
                                                 reserved: reserved[provider] ?? []) {
                topology.networks[name] = Network(provider: provider, kind: .vlan(id), implicit: name.hasPrefix("link:"))
            }
        }
        for (provider, names) in implicitSubnets {
            let spec = blueprint.providers[provider] ?? ProviderSpec(type: "")
            for (name, cidr) in allocateSubnets(names.sorted(), provider: provider, cloud: cloudCIDR(spec), topology: topology, state: state) {
                topology.networks[name] = Network(provider: provider, kind: .subnet(cidr: cidr.description, isPublic: false), implicit: true)
            }
        }
        return topology
    }

    /// `auto` VLANs: a network keeps the id the state recorded for it while that id is still
    /// free and in range; the others take the lowest free id, in name order. Ids still held in
    /// the state by networks being removed are not reused in the same plan.
    static func allocateVLANs(_ names: [String], provider: String, range: ClosedRange<Int>, topology: Topology, state: State,
                              reserved: Set<Int> = []) -> [String: Int] {
        var taken = Set(topology.networks.values.compactMap { n -> Int? in
            if n.provider == provider, case .vlan(let id) = n.kind { return id }
            return nil
        }).union(reserved)
        let wanted = Set(names)
        var held = Set<Int>()
        for (name, n) in state.networks where n.provider == provider && !wanted.contains(name) && topology.networks[name] == nil {
            if let v = n.vlan { held.insert(v) }
        }
        var result: [String: Int] = [:]
        for name in names {
            if let v = state.networks[name]?.vlan, state.networks[name]?.provider == provider, range.contains(v), !taken.contains(v) {
                result[name] = v
                taken.insert(v)
            }
        }
        for name in names where result[name] == nil {
            let free = range.first { !taken.contains($0) && !held.contains($0) } ?? range.first { !taken.contains($0) }
            guard let id = free else { continue }
            result[name] = id
            taken.insert(id)
        }
        return result
    }

    /// Implicit subnets are /28 blocks taken from the top of the cloud CIDR downwards, clear of
    /// every declared subnet; each keeps the block the state recorded for it.
    static func allocateSubnets(_ names: [String], provider: String, cloud: CIDR, topology: Topology, state: State) -> [String: CIDR] {
        var used: [CIDR] = topology.networks.values.compactMap { n in
            if n.provider == provider, case .subnet(let c, _) = n.kind { return CIDR(c) }
            return nil
        }
        var result: [String: CIDR] = [:]
        for name in names {
            if let text = state.networks[name]?.cidr, let c = CIDR(text), cloud.contains(c), !used.contains(where: { $0.overlaps(c) }) {
                result[name] = c
                used.append(c)
            }
        }
        let blockSize: UInt32 = 16
        for name in names where result[name] == nil {
            var start = cloud.last.value &- (blockSize - 1)
            while start >= cloud.network.value {
                let block = CIDR(network: IPv4Address(start), prefix: 28)
                if !used.contains(where: { $0.overlaps(block) }) {
                    result[name] = block
                    used.append(block)
                    break
                }
                if start < cloud.network.value &+ blockSize { break }
                start -= blockSize
            }
        }
        return result
    }
}
