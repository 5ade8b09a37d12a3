import FirmBase
import FirmModel

/// Plans one app: deploy, delete, replace, power, IP refresh, and its L2 connections.
struct AppPlanner {
    let blueprint: Blueprint
    let topology: Topology
    let state: State
    /// provider -> its prepareInfra action id, when the plan prepares it.
    let prepares: [String: String]
    /// Set for `firm destroy`, whose blueprint was emptied: reasons say so.
    var destroying = false

    func connectivity(_ provider: String) -> Connectivity {
        blueprint.providers[provider]?.connectivity ?? .l2
    }

    /// The L2 connections the app should have: network -> (vlan, mode).
    func wantedVLANs(_ name: String) -> [String: (Int, PortMode)] {
        var result: [String: (Int, PortMode)] = [:]
        for (network, mode) in topology.connections[name] ?? [:] {
            if case .vlan(let id)? = topology.networks[network]?.kind { result[network] = (id, mode) }
        }
        return result
    }

    /// The L3 networks the app should be deployed onto.
    func wantedSubnets(_ name: String) -> [String] {
        (topology.connections[name] ?? [:]).keys.filter {
            if case .subnet? = topology.networks[$0]?.kind { return true }
            return false
        }.sorted()
    }

    func actions(for name: String, into b: inout PlanBuilder, removals: inout Removals) {
        let target = "app.\(name)"
        let desired = blueprint.apps[name]
        let current = state.apps[name]
        let wanted = desired == nil ? [:] : wantedVLANs(name)
        let subnets = desired == nil ? [] : wantedSubnets(name)
        let currentSubnets = current?.connections.filter { $0.value.subnetId != nil }.keys.sorted() ?? []

        var fields: [String] = []
        var subnetMoved = false
        if let desired, let current {
            fields = Planner.changedFields(desired, current)
            if connectivity(desired.deploymentPath.provider) == .l3 {
                if Set(subnets) != Set(currentSubnets) {
                    let added = Set(subnets).subtracting(currentSubnets).sorted().map { "+" + $0 }
                    let removed = Set(currentSubnets).subtracting(subnets).sorted().map { "-" + $0 }
                    fields.append("connectors (" + (added + removed).joined(separator: ", ") + ")")
                }
                for network in subnets where currentSubnets.contains(network) {
                    if case .subnet(let cidr, _)? = topology.networks[network]?.kind, state.networks[network]?.cidr != cidr {
                        fields.append("networks.\(network).subnet")
                        subnetMoved = true
                    }
                }
            }
        }
        let rebuild = current != nil && (desired == nil || !fields.isEmpty)

        // Disconnect what goes away, what changes, and everything of a VM about to go.
        var disconnects: [String: String] = [:]
        for (network, conn) in (current?.connections ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard let vlan = conn.vlan else { continue }
            let mode = conn.mode ?? .access
            let want = rebuild ? nil : wanted[network]
            if let want, want.0 == vlan, want.1 == mode { continue }
            let reason = desired == nil ? "before \(target) is deleted"
                : rebuild ? "before \(target) is replaced"
                : want == nil ? "the connector to network.\(network) was removed"
                : want!.0 != vlan ? "network.\(network) moves from VLAN \(vlan) to \(want!.0)" : "the port mode changes to \(want!.1.rawValue)"
            disconnects[network] = b.add(PlannedAction(.disconnect(app: name, VLANLink(network: network, vlan: vlan, mode: mode)), reason: reason,
                                                       provider: current!.provider))
        }

        guard let desired else {
            let id = b.add(PlannedAction(.delete(app: name), dependsOn: disconnects.values.sorted(),
                                         reason: destroying ? "firm destroy removes \(target)" : "\(target) is in the state but no longer in the blueprint",
                                         provider: current!.provider))
            removals.add(id, provider: current!.provider, subnets: currentSubnets)
            return
        }
        let provider = desired.deploymentPath.provider
        let prepare = prepares[provider].map { [$0] } ?? []

        var created: String?
        var why = ""
        if current == nil {
            created = b.add(PlannedAction(.deploy(app: name, subnets: subnets), dependsOn: prepare, reason: "\(target) is in the blueprint but not deployed",
                                          provider: provider))
            why = "after its deploy"
        } else if rebuild && subnetMoved {
            let delete = b.add(PlannedAction(.delete(app: name), dependsOn: disconnects.values.sorted(),
                                             reason: Planner.describe(fields, desired, current!) + " changed; the VM is deleted before its subnet is re-created",
                                             provider: current!.provider))
            removals.add(delete, provider: current!.provider, subnets: currentSubnets)
            created = b.add(PlannedAction(.deploy(app: name, subnets: subnets), dependsOn: [delete] + prepare,
                                          reason: "\(target) is deployed again onto its re-created subnet", provider: provider))
            why = "after its deploy"
        } else if rebuild {
            created = b.add(PlannedAction(.replace(app: name, subnets: subnets), dependsOn: disconnects.values.sorted() + prepare,
                                          reason: Planner.describe(fields, desired, current!) + " changed; the VM must be replaced",
                                          provider: provider, changedFields: fields))
            removals.add(created!, provider: current!.provider, subnets: currentSubnets)
            why = "after its replace"
        }

        // Connect what is new or changed, after the deploy and after the old link is gone.
        var connects: [String] = []
        for (network, (vlan, mode)) in wanted.sorted(by: { $0.key < $1.key }) {
            if created == nil, let c = current?.connections[network], c.vlan == vlan, (c.mode ?? .access) == mode { continue }
            let deps = (created.map { [$0] } ?? []) + (disconnects[network].map { [$0] } ?? [])
            let reason = created != nil ? "\(target) joins network.\(network) \(why)"
                : current?.connections[network] == nil ? "the blueprint connects \(target) to network.\(network), and it is not connected"
                : "network.\(network) is on VLAN \(vlan) now"
            connects.append(b.add(PlannedAction(.connect(app: name, VLANLink(network: network, vlan: vlan, mode: mode)), dependsOn: deps,
                                                reason: reason, provider: provider)))
        }

        if let created {
            startActions(name, desired, after: [created] + connects, why: why, into: &b)
        } else if desired.power != current!.power {
            if desired.power == .off {
                b.add(PlannedAction(.powerOff(app: name), reason: "power is \"on\"; the blueprint wants \"off\"", provider: provider))
            } else {
                startActions(name, desired, after: connects, why: "power is \"off\"; the blueprint wants \"on\"", into: &b)
            }
        }
    }

    /// powerOn and refreshIP for an app that must run, after `dependencies`.
    func startActions(_ name: String, _ desired: AppSpec, after dependencies: [String], why: String, into b: inout PlanBuilder) {
        guard desired.power == .on else { return }
        let provider = desired.deploymentPath.provider
        let powerOn = b.add(PlannedAction(.powerOn(app: name), dependsOn: dependencies, reason: why, provider: provider))
        if desired.waitForIP {
            b.add(PlannedAction(.refreshIP(app: name), dependsOn: [powerOn], reason: "waitForIP is set", provider: provider))
        }
    }
}
