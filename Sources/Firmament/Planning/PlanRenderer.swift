/// Renders a plan for people.
public enum PlanRenderer {
    /// One line per action, then a summary line.
    public static func text(_ plan: Plan) -> String {
        guard plan.hasChanges else {
            return "No changes. The infrastructure matches blueprint \(quoted(plan.blueprintName)).\n"
        }
        var out = "Firmament will perform these actions on blueprint \(quoted(plan.blueprintName)):\n\n"
        for action in plan.actions {
            out += "  " + line(action) + "\n"
            out += "      # " + action.reason + "\n"
        }
        out += "\n" + summaryLine(plan) + "\n"
        return out
    }

    /// `+ deploy app.web`, `- delete app.old`, `-/+ replace app.db`, `~ power on app.web`.
    public static func line(_ action: PlannedAction) -> String {
        switch action.type {
        case .deploy: "+ deploy \(action.target)"
        case .delete: "- delete \(action.target)"
        case .replace: "-/+ replace \(action.target)"
        case .powerOn: "~ power on \(action.target)"
        case .powerOff: "~ power off \(action.target)"
        case .refreshIP: "~ refresh IP \(action.target)"
        case .connect, .disconnect:
            if case .vlan(let network, let vlan, let mode) = action.details {
                "~ \(action.type.rawValue) \(action.target) → network.\(network) (vlan \(vlan), \(mode.rawValue))"
            } else {
                "~ \(action.type.rawValue) \(action.target)"
            }
        case .prepareInfra:
            if case .prepare(let cloud, let subnets, let keys) = action.details {
                "+ prepare \(action.target) (" + ([cloud.map { "cloud \($0)" }, subnets.isEmpty ? nil : "subnets " + subnets.map(\.name).joined(separator: ", "),
                                                    keys ? "keys" : nil].compactMap { $0 }.joined(separator: ", ")) + ")"
            } else {
                "+ prepare \(action.target)"
            }
        case .cleanInfra: "- clean \(action.target)"
        }
    }

    /// `Plan: 2 to deploy, 1 to replace, 0 to delete, 3 power changes, 2 IP refreshes.`
    public static func summaryLine(_ plan: Plan) -> String {
        let count = { (t: ActionType) in plan.actions.filter { $0.type == t }.count }
        let power = count(.powerOn) + count(.powerOff)
        var text = "Plan: \(count(.deploy)) to deploy, \(count(.replace)) to replace, \(count(.delete)) to delete, "
            + "\(power) power change\(power == 1 ? "" : "s"), \(count(.refreshIP)) IP refresh\(count(.refreshIP) == 1 ? "" : "es")"
        let links = count(.connect) + count(.disconnect)
        if links > 0 { text += ", \(count(.connect)) to connect, \(count(.disconnect)) to disconnect" }
        let infra = count(.prepareInfra) + count(.cleanInfra)
        if infra > 0 { text += ", \(count(.prepareInfra)) to prepare, \(count(.cleanInfra)) to clean" }
        return text + "."
    }
}
