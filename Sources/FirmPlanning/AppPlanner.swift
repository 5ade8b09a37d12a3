import FirmBase
import FirmModel

/// Plans one app: deploy, delete, replace, power, IP refresh, and its L2 connections. What
/// happens to the VM is `AppDecision`'s; this wires its actions and the connections around it.
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
    func wantedVLANs(_ name: String) -> [String: (vlan: Int, mode: PortMode)] {
        var result: [String: (vlan: Int, mode: PortMode)] = [:]
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

    /// The subnets the recorded app sits on.
    static func recordedSubnets(_ current: AppState?) -> [String] {
        current?.connections.filter { $0.value.subnetId != nil }.keys.sorted() ?? []
    }

    /// What changed between the blueprint's app and the recorded one: the fields that force a
    /// new VM, and on L3 its subnets (joined or left, or moved to another CIDR).
    func changes(_ desired: AppSpec, _ current: AppState, subnets: [String]) -> AppDecision.Changes {
        var changes = AppDecision.Changes(fields: Planner.changedFields(desired, current))
        guard connectivity(desired.deploymentPath.provider) == .l3 else { return changes }
        let currentSubnets = Self.recordedSubnets(current)
        if Set(subnets) != Set(currentSubnets) {
            let added = Set(subnets).subtracting(currentSubnets).sorted().map { "+" + $0 }
            let removed = Set(currentSubnets).subtracting(subnets).sorted().map { "-" + $0 }
            changes.fields.append("connectors (" + (added + removed).joined(separator: ", ") + ")")
        }
        for network in subnets where currentSubnets.contains(network) {
            if case .subnet(let cidr, _)? = topology.networks[network]?.kind, state.networks[network]?.cidr != cidr {
                changes.fields.append("networks.\(network).subnet")
                changes.subnetMoved = true
            }
        }
        return changes
    }

    func actions(for name: String, into b: inout PlanBuilder, removals: inout Removals) {
        let desired = blueprint.apps[name]
        let current = state.apps[name]
        let subnets = desired == nil ? [] : wantedSubnets(name)
        let changes = desired.flatMap { desired in current.map { self.changes(desired, $0, subnets: subnets) } } ?? AppDecision.Changes()
        let decision = AppDecision.decide(desired: desired, current: current, changes)
        let wanted = desired == nil ? [:] : wantedVLANs(name)
        let disconnects = current.map { disconnectActions(name, $0, wanted: wanted, decision, into: &b) } ?? [:]
        let target = "app.\(name)"

        // The VM's own action; `created` is the new VM's, after which it is connected and started.
        var created: String?
        var why = ""
        switch (decision, desired, current) {
        case (.delete, nil, let current?):
            let id = b.add(PlannedAction(.delete(app: name), dependsOn: disconnects.values.sorted(),
                                         reason: destroying ? "firm destroy removes \(target)" : "\(target) is in the state but no longer in the blueprint",
                                         provider: current.provider))
            removals.add(id, provider: current.provider, subnets: Self.recordedSubnets(current))
            return
        case (.deploy, let desired?, nil):
            created = b.add(PlannedAction(.deploy(app: name, subnets: subnets), dependsOn: prepare(desired),
                                          reason: "\(target) is in the blueprint but not deployed", provider: desired.deploymentPath.provider))
            why = "after its deploy"
        case (.redeploy(let fields), let desired?, let current?):
            let delete = b.add(PlannedAction(.delete(app: name), dependsOn: disconnects.values.sorted(),
                                             reason: Planner.describe(fields, desired, current) + " changed; the VM is deleted before its subnet is re-created",
                                             provider: current.provider))
            removals.add(delete, provider: current.provider, subnets: Self.recordedSubnets(current))
            created = b.add(PlannedAction(.deploy(app: name, subnets: subnets), dependsOn: [delete] + prepare(desired),
                                          reason: "\(target) is deployed again onto its re-created subnet", provider: desired.deploymentPath.provider))
            why = "after its deploy"
        case (.replace(let fields), let desired?, let current?):
            let id = b.add(PlannedAction(.replace(app: name, subnets: subnets), dependsOn: disconnects.values.sorted() + prepare(desired),
                                         reason: Planner.describe(fields, desired, current) + " changed; the VM must be replaced",
                                         provider: desired.deploymentPath.provider, changedFields: fields))
            removals.add(id, provider: current.provider, subnets: Self.recordedSubnets(current))
            created = id
            why = "after its replace"
        case (.keep, _?, _?), (.power, _?, _?):
            break
        default:
            // `decide` gives none of the other pairs.
            return
        }
        guard let desired else { return }
        let connects = connectActions(name, desired, current, wanted: wanted, created: created, why: why, disconnects: disconnects, into: &b)
        if let created {
            startActions(name, desired, after: [created] + connects, why: why, into: &b)
        } else if case .power(.off) = decision {
            b.add(PlannedAction(.powerOff(app: name), reason: "power is \"on\"; the blueprint wants \"off\"", provider: desired.deploymentPath.provider))
        } else if case .power(.on) = decision {
            startActions(name, desired, after: connects, why: "power is \"off\"; the blueprint wants \"on\"", into: &b)
        }
    }

    /// The provider's prepareInfra, when the plan prepares it: the app is deployed after it.
    func prepare(_ desired: AppSpec) -> [String] {
        prepares[desired.deploymentPath.provider].map { [$0] } ?? []
    }

    /// Disconnects what goes away, what changes, and everything of a VM about to go; by network.
    func disconnectActions(_ name: String, _ current: AppState, wanted: [String: (vlan: Int, mode: PortMode)], _ decision: AppDecision,
                           into b: inout PlanBuilder) -> [String: String] {
        let target = "app.\(name)"
        var disconnects: [String: String] = [:]
        for (network, conn) in current.connections.sorted(by: { $0.key < $1.key }) {
            guard let vlan = conn.vlan else { continue }
            let mode = conn.mode ?? .access
            let reason: String
            switch (decision, decision.removesVM ? nil : wanted[network]) {
            case (.delete, _): reason = "before \(target) is deleted"
            case (.replace, _), (.redeploy, _): reason = "before \(target) is replaced"
            case (_, nil): reason = "the connector to network.\(network) was removed"
            case (_, let want?) where want.vlan != vlan: reason = "network.\(network) moves from VLAN \(vlan) to \(want.vlan)"
            case (_, let want?) where want.mode != mode: reason = "the port mode changes to \(want.mode.rawValue)"
            case (_, _?): continue
            }
            disconnects[network] = b.add(PlannedAction(.disconnect(app: name, VLANLink(network: network, vlan: vlan, mode: mode)), reason: reason,
                                                       provider: current.provider))
        }
        return disconnects
    }

    /// Connects what is new or changed, after the VM's own action and after the old link is gone.
    func connectActions(_ name: String, _ desired: AppSpec, _ current: AppState?, wanted: [String: (vlan: Int, mode: PortMode)], created: String?,
                        why: String, disconnects: [String: String], into b: inout PlanBuilder) -> [String] {
        let target = "app.\(name)"
        var connects: [String] = []
        for (network, (vlan, mode)) in wanted.sorted(by: { $0.key < $1.key }) {
            if created == nil, let c = current?.connections[network], c.vlan == vlan, (c.mode ?? .access) == mode { continue }
            let deps = (created.map { [$0] } ?? []) + (disconnects[network].map { [$0] } ?? [])
            let reason = created != nil ? "\(target) joins network.\(network) \(why)"
                : current?.connections[network] == nil ? "the blueprint connects \(target) to network.\(network), and it is not connected"
                : "network.\(network) is on VLAN \(vlan) now"
            connects.append(b.add(PlannedAction(.connect(app: name, VLANLink(network: network, vlan: vlan, mode: mode)), dependsOn: deps,
                                                reason: reason, provider: desired.deploymentPath.provider)))
        }
        return connects
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
