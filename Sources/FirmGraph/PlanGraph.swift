import FirmBase
import FirmModel
import FirmPlanning
import FirmExecution

/// A plan's DAG as a picture: a node per action, labelled as `firm plan` writes it and coloured
/// by its kind; an edge per dependency; the actions grouped in a cluster per provider; the
/// critical path (the chain with the most expected work) drawn bold.
public enum PlanGraph {
    /// The fill colour of each kind of action: additions green, deletions red, replacements
    /// orange, power and addresses blue, connectivity violet, infrastructure sand.
    static func colour(_ type: ActionType) -> String {
        switch type {
        case .deploy: "#b7e4c7"
        case .delete: "#f4a6a6"
        case .replace: "#ffd6a5"
        case .powerOn, .powerOff, .refreshIP: "#bde0fe"
        case .connect, .disconnect: "#d8c8f0"
        case .prepareInfra, .cleanInfra: "#eadbc8"
        }
    }

    public static func render(_ plan: Plan, costs: ActionCosts = ActionCosts(), format: GraphFormat) -> String {
        let critical = CriticalPath.ids(plan.actions, costs: costs)
        let onPath = Set(critical)
        let criticalEdges = Set(zip(critical, critical.dropFirst()).map { "\($0.0)\u{0}\($0.1)" })
        var index: [String: Int] = [:]
        for (i, action) in plan.actions.enumerated() { index[action.id] = i }
        let providers = Array(Set(plan.actions.map(\.provider))).sorted()
        let edges: [(from: Int, to: Int, critical: Bool)] = plan.actions.enumerated().flatMap { i, action in
            action.dependsOn.compactMap { dep in index[dep].map { ($0, i, criticalEdges.contains("\(dep)\u{0}\(action.id)")) } }
        }
        switch format {
        case .dot:
            var out = "digraph plan {\n  rankdir=LR;\n  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\"];\n"
            out += "  label=\(GraphFormat.dotString(PlanRenderer.summaryLine(plan) + (critical.isEmpty ? "" : " Bold: the critical path."))); labelloc=t;\n"
            for (p, provider) in providers.enumerated() {
                out += "  subgraph cluster_\(p) {\n    label=\(GraphFormat.dotString("provider.\(provider)")); style=dashed;\n"
                for (i, action) in plan.actions.enumerated() where action.provider == provider {
                    let bold = onPath.contains(action.id) ? ", penwidth=3, color=\"#c1121f\"" : ""
                    out += "    n\(i) [label=\(GraphFormat.dotString(PlanRenderer.line(action))), fillcolor=\"\(colour(action.type))\"\(bold)];\n"
                }
                out += "  }\n"
            }
            for edge in edges {
                out += "  n\(edge.from) -> n\(edge.to)" + (edge.critical ? " [penwidth=3, color=\"#c1121f\"]" : "") + ";\n"
            }
            return out + "}\n"
        case .mermaid:
            var out = "flowchart LR\n"
            for (p, provider) in providers.enumerated() {
                out += "  subgraph p\(p)\(GraphFormat.mermaidLabel("provider.\(provider)"))\n"
                for (i, action) in plan.actions.enumerated() where action.provider == provider {
                    out += "    n\(i)\(GraphFormat.mermaidLabel(PlanRenderer.line(action))):::\(action.type.rawValue)\(onPath.contains(action.id) ? "Critical" : "")\n"
                }
                out += "  end\n"
            }
            for edge in edges { out += "  n\(edge.from) \(edge.critical ? "==>" : "-->") n\(edge.to)\n" }
            for type in ActionType.allCases {
                out += "  classDef \(type.rawValue) fill:\(colour(type)),stroke:#555\n"
                out += "  classDef \(type.rawValue)Critical fill:\(colour(type)),stroke:#c1121f,stroke-width:3px\n"
            }
            return out
        }
    }
}
