import FirmBase
import FirmModel

/// Plans L3 sandbox infrastructure: PrepareSandboxInfra before the first deploy on a provider
/// (and for subnets added later), CleanSandboxInfra after the last delete.
enum InfraPlanner {
    /// Whether the blueprint still uses `provider` for an app or a network.
    static func uses(_ blueprint: Blueprint, _ topology: Topology, _ provider: String) -> Bool {
        blueprint.apps.values.contains { $0.deploymentPath.provider == provider } || topology.networks.values.contains { $0.provider == provider }
    }

    static func prepareActions(_ blueprint: Blueprint, _ topology: Topology, _ state: State) -> [String: PlannedAction] {
        var result: [String: PlannedAction] = [:]
        for (provider, spec) in blueprint.providers where spec.connectivity == .l3 && uses(blueprint, topology, provider) {
            // Infrastructure whose cleanup was cut short counts as not prepared: all of it again.
            let infra = state.infra[provider].flatMap { $0.cleaning ? nil : $0 }
            var subnets: [SubnetSpec] = []
            for (name, network) in topology.networks.sorted(by: { $0.key < $1.key }) where network.provider == provider {
                guard case .subnet(let cidr, let isPublic) = network.kind else { continue }
                let recorded = state.networks[name]
                if infra == nil || recorded?.subnetId == nil || recorded?.cidr != cidr {
                    subnets.append(SubnetSpec(name: name, cidr: cidr, isPublic: isPublic))
                }
            }
            guard infra == nil || !subnets.isEmpty else { continue }
            let target = "provider.\(provider)"
            let reason = state.infra[provider]?.cleaning == true ? "\(target) is used and the cleanup of its sandbox infrastructure was cut short"
                : infra == nil ? "\(target) is used and its sandbox infrastructure is not prepared"
                : "subnet\(subnets.count == 1 ? "" : "s") " + subnets.map(\.name).joined(separator: ", ") + " not prepared yet"
            result[provider] = PlannedAction(.prepareInfra(InfraPreparation(provider: provider, cloud: infra == nil ? Topology.cloudCIDR(spec).description : nil,
                                                                              subnets: subnets, createKeys: infra == nil)),
                                             reason: reason, provider: provider)
        }
        return result
    }

    /// Adds the cleanups; returns a note for each removed subnet left in place because its
    /// provider can't clean up one subnet.
    static func cleanActions(_ blueprint: Blueprint, _ topology: Topology, _ state: State, removals: Removals,
                             prepares: [String: String], destroying: Bool = false, capabilities: [String: ProviderCapabilities] = [:],
                             into b: inout PlanBuilder) -> [String] {
        var notes: [String] = []
        for provider in state.infra.keys.sorted() {
            let subnets = state.networks.filter { $0.value.provider == provider && $0.value.subnetId != nil }.keys.sorted()
            if !uses(blueprint, topology, provider) {
                b.add(PlannedAction(.cleanInfra(.sandbox(provider: provider, subnets: subnets)), dependsOn: removals.byProvider[provider] ?? [],
                                    reason: destroying ? "firm destroy removes the sandbox infrastructure of provider.\(provider)"
                                        : "the blueprint no longer uses provider.\(provider): its last app and network are gone",
                                    provider: provider))
                continue
            }
            for name in subnets {
                let recorded = state.networks[name]!
                let desiredCIDR: String? = {
                    if case .subnet(let cidr, _)? = topology.networks[name]?.kind { return cidr }
                    return nil
                }()
                guard desiredCIDR != recorded.cidr else { continue }
                guard capabilities[provider]?.cleanupSubnets ?? true else {
                    notes.append("network.\(name) \(desiredCIDR == nil ? "was removed from the blueprint" : "changes to \(desiredCIDR!)"), but provider.\(provider)'s "
                        + "driver can't clean up one subnet: subnet \(recorded.subnetId!) stays until the sandbox infrastructure is cleaned up (firm destroy)")
                    continue
                }
                let id = b.add(PlannedAction(.cleanInfra(.subnet(name)), dependsOn: removals.bySubnet[name] ?? [],
                                             reason: desiredCIDR == nil ? "network.\(name) was removed from the blueprint"
                                                 : "network.\(name) changes from \(recorded.cidr ?? "?") to \(desiredCIDR!)",
                                             provider: provider))
                if desiredCIDR != nil, let prepare = prepares[provider] { b.addDependencies(prepare, on: [id]) }
            }
        }
        return notes
    }
}
