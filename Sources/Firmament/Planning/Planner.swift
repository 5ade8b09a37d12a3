/// Computes the plan from the desired blueprint and the recorded (possibly refreshed) state.
/// Pure: no I/O, no clock, no randomness.
public enum Planner {
    public static func plan(blueprint: Blueprint, blueprintFile: String, state: State) -> Plan {
        var actions: [PlannedAction] = []
        let names = Set(blueprint.apps.keys).union(state.apps.keys).sorted()
        for name in names {
            actions += appActions(name, desired: blueprint.apps[name], current: state.apps[name])
        }
        return Plan(blueprintName: blueprint.name, blueprintFile: blueprintFile, blueprintDigest: blueprint.digest,
                    lineage: state.lineage, serial: state.serial, actions: actions)
    }

    static func appActions(_ name: String, desired: AppSpec?, current: AppState?) -> [PlannedAction] {
        let target = "app.\(name)"
        switch (desired, current) {
        case (nil, nil):
            return []
        case (nil, let current?):
            return [PlannedAction(type: .delete, target: target, reason: "\(target) is in the state but no longer in the blueprint", provider: current.provider)]
        case (let desired?, nil):
            let deploy = PlannedAction(type: .deploy, target: target, reason: "\(target) is in the blueprint but not deployed",
                                       provider: desired.deploymentPath.provider)
            return [deploy] + startActions(target, desired, after: deploy, why: "after its deploy")
        case (let desired?, let current?):
            let changed = changedFields(desired, current)
            if !changed.isEmpty {
                let replace = PlannedAction(type: .replace, target: target,
                                            reason: changed.joined(separator: ", ") + " changed; the VM must be replaced",
                                            provider: desired.deploymentPath.provider, changedFields: changed)
                return [replace] + startActions(target, desired, after: replace, why: "after its replace")
            }
            if desired.power != current.power {
                if desired.power == .off {
                    return [PlannedAction(type: .powerOff, target: target, reason: "power is \"on\"; the blueprint wants \"off\"", provider: current.provider)]
                }
                return startActions(target, desired, after: nil, why: "power is \"off\"; the blueprint wants \"on\"")
            }
            return []
        }
    }

    /// powerOn and refreshIP for an app that must run, after `previous` when given.
    static func startActions(_ target: String, _ desired: AppSpec, after previous: PlannedAction?, why: String) -> [PlannedAction] {
        guard desired.power == .on else { return [] }
        let provider = desired.deploymentPath.provider
        let powerOn = PlannedAction(type: .powerOn, target: target, dependsOn: previous.map { [$0.id] } ?? [], reason: why, provider: provider)
        guard desired.waitForIP else { return [powerOn] }
        return [powerOn, PlannedAction(type: .refreshIP, target: target, dependsOn: [powerOn.id], reason: "waitForIP is set", provider: provider)]
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
        for key in changedKeys(desired.attributes, current.attributes) {
            fields.append(JSONPath("attributes").key(key).description)
        }
        return fields
    }

    static func changedKeys(_ a: [String: AttributeValue], _ b: [String: AttributeValue]) -> [String] {
        Set(a.keys).union(b.keys).filter { a[$0] != b[$0] }.sorted()
    }
}
