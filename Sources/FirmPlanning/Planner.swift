import FirmBase
import FirmModel

/// Computes the plan from the desired blueprint and the recorded (possibly refreshed) state.
/// Pure: no I/O, no clock, no randomness.
///
/// Edges: prepareInfra → deploy (L3); deploy → connect → powerOn → refreshIP (L2);
/// disconnect → delete; delete → cleanInfra; and for a replace, its disconnects before it and
/// its connects after it.
public enum Planner {
    /// `destroying` says that `blueprint` was emptied by `firm destroy`, for the reasons given.
    /// `capabilities` holds what each provider's driver declared (a provider not in it can do
    /// everything).
    /// `reserved` holds, by provider, the VLAN ids other sandboxes hold (see Topology).
    public static func plan(blueprint: Blueprint, blueprintFile: String, state: State, destroying: Bool = false,
                            capabilities: [String: ProviderCapabilities] = [:], reserved: [String: Set<Int>] = [:]) -> Plan {
        let topology = Topology.resolve(blueprint, state: state, reserved: reserved)
        // An app usually gets one to three actions: a deploy, a powerOn and a refreshIP.
        var builder = PlanBuilder(expected: 3 * max(blueprint.apps.count, state.apps.count) + 16)
        let prepares = InfraPlanner.prepareActions(blueprint, topology, state)
        for provider in prepares.keys.sorted() { builder.add(prepares[provider]!) }
        var removals = Removals()
        let context = AppPlanner(blueprint: blueprint, topology: topology, state: state, prepares: prepares.mapValues(\.id), destroying: destroying)
        // Every app of either, once, by name.
        var names = Array(blueprint.apps.keys)
        names.reserveCapacity(max(blueprint.apps.count, state.apps.count))
        for name in state.apps.keys where blueprint.apps[name] == nil { names.append(name) }
        names.sort()
        for name in names {
            context.actions(for: name, into: &builder, removals: &removals)
        }
        let notes = InfraPlanner.cleanActions(blueprint, topology, state, removals: removals, prepares: prepares.mapValues(\.id), destroying: destroying,
                                              capabilities: capabilities, into: &builder)
        var plan = Plan(blueprintName: blueprint.name, blueprintFile: blueprintFile, blueprintDigest: blueprint.digest,
                        lineage: state.lineage, serial: state.serial, actions: builder.sorted())
        plan.notes = notes
        return plan
    }

    /// The fields whose change forces a replace, in a fixed order.
    static func changedFields(_ desired: AppSpec, _ current: AppState) -> [String] {
        var fields: [String] = []
        let path = desired.deploymentPath
        if path != current.deploymentPath {
            if path.provider != current.deploymentPath.provider { fields.append("deploymentPath.provider") }
            if path.deploymentType != current.deploymentPath.deploymentType { fields.append("deploymentPath.deploymentType") }
            for key in changedKeys(path.attributes, current.deploymentPath.attributes) {
                fields.append(JSONPath("deploymentPath.attributes").key(key).description)
            }
            if fields.isEmpty { fields.append("deploymentPath") }
        }
        if desired.attributes != current.attributes {
            for key in changedKeys(desired.attributes, current.attributes) {
                fields.append(JSONPath("attributes").key(key).description)
            }
        }
        return fields
    }

    /// The changed fields for a reason, with old and new values where they are plain and not
    /// sensitive: `deploymentPath.deploymentType ("small" → "large")`.
    static func describe(_ fields: [String], _ desired: AppSpec, _ current: AppState) -> String {
        fields.map { field in
            func values(_ old: String?, _ new: String?) -> String {
                "\(field) (\(old.map(quoted) ?? "unset") → \(new.map(quoted) ?? "unset"))"
            }
            func shown(_ v: AttributeValue?) -> String {
                switch v {
                case .literal(let s)?: quoted(s)
                case .snapshot(let name)?: "snapshot \(quoted(name))"
                default: "unset"
                }
            }
            switch field {
            case "deploymentPath.provider": return values(current.deploymentPath.provider, desired.deploymentPath.provider)
            case "deploymentPath.deploymentType": return values(current.deploymentPath.deploymentType, desired.deploymentPath.deploymentType)
            default:
                for (prefix, old, new) in [("deploymentPath.attributes", current.deploymentPath.attributes, desired.deploymentPath.attributes),
                                           ("attributes", current.attributes, desired.attributes)] {
                    guard let key = old.keys.first(where: { JSONPath(prefix).key($0).description == field })
                        ?? new.keys.first(where: { JSONPath(prefix).key($0).description == field }) else { continue }
                    if Masking.isSensitive(key) || old[key]?.isEnvReference == true || new[key]?.isEnvReference == true { return field }
                    return "\(field) (\(shown(old[key])) → \(shown(new[key])))"
                }
                return field
            }
        }.joined(separator: ", ")
    }

    static func changedKeys(_ a: [String: AttributeValue], _ b: [String: AttributeValue]) -> [String] {
        Set(a.keys).union(b.keys).filter { a[$0] != b[$0] }.sorted()
    }
}

/// The actions that take VMs away, by provider and by subnet, for the clean-ups to wait on.
struct Removals {
    var byProvider: [String: [String]] = [:]
    var bySubnet: [String: [String]] = [:]

    mutating func add(_ id: String, provider: String, subnets: [String]) {
        byProvider[provider, default: []].append(id)
        for s in subnets { bySubnet[s, default: []].append(id) }
    }
}
