import FirmBase
import FirmModel

/// Renders a plan for people.
public enum PlanRenderer {
    /// One line per action, then a summary line.
    public static func text(_ plan: Plan) -> String {
        let notes = plan.notes.map { "Note: \($0)\n" }.joined()
        guard plan.hasChanges else {
            return "No changes. The infrastructure matches blueprint \(quoted(plan.blueprintName)).\n" + notes
        }
        var out = "Firmament will perform these actions on blueprint \(quoted(plan.blueprintName)):\n\n"
        for action in plan.actions {
            out += "  " + line(action) + "\n"
            out += "      # " + action.reason + "\n"
        }
        out += "\n" + summaryLine(plan) + "\n"
        return out + (notes.isEmpty ? "" : "\n" + notes)
    }

    /// `+ deploy app.web`, `- delete app.old`, `-/+ replace app.db`, `~ power on app.web`.
    public static func line(_ action: PlannedAction) -> String {
        switch action.kind {
        case .deploy: "+ deploy \(action.target)"
        case .delete: "- delete \(action.target)"
        case .replace: "-/+ replace \(action.target)"
        case .powerOn: "~ power on \(action.target)"
        case .powerOff: "~ power off \(action.target)"
        case .refreshIP: "~ refresh IP \(action.target)"
        case .connect(_, let link), .disconnect(_, let link):
            "~ \(action.type.rawValue) \(action.target) → network.\(link.network) (vlan \(link.vlan), \(link.mode.rawValue))"
        case .prepareInfra(let p):
            "+ prepare \(action.target) (" + ([p.cloud.map { "cloud \($0)" }, p.subnets.isEmpty ? nil : "subnets " + p.subnets.map(\.name).joined(separator: ", "),
                                              p.createKeys ? "keys" : nil].compactMap { $0 }.joined(separator: ", ")) + ")"
        case .cleanInfra: "- clean \(action.target)"
        }
    }

    /// `Plan: 2 to deploy, 1 to replace, 0 to delete, 3 power changes, 2 IP refreshes.`
    public static func summaryLine(_ plan: Plan) -> String {
        let counts = Dictionary(uniqueKeysWithValues: plan.summary)
        let count = { (t: ActionType) in counts[t] ?? 0 }
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
