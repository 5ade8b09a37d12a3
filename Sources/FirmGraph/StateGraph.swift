import FirmBase
import FirmModel

/// The recorded world as a picture: a node per app (its VM, address and power) and per network
/// (its VLAN or subnet), an edge per connection, grouped in a cluster per provider.
public enum StateGraph {
    public static func render(_ state: State, format: GraphFormat) -> String {
        let apps = state.apps.keys.sorted()
        let networks = state.networks.keys.sorted()
        let providers = Array(Set(state.apps.values.map(\.provider) + state.networks.values.map(\.provider))).sorted()
        func appLabel(_ name: String) -> String {
            let app = state.apps[name]!
            var lines = ["app.\(name)", app.vmName.isEmpty ? "(no VM)" : app.vmName]
            let address = [app.address, app.publicAddress].filter { !$0.isEmpty }.joined(separator: ", ")
            lines.append((address.isEmpty ? "" : address + ", ") + (app.power == .on ? "on" : "off"))
            return lines.joined(separator: "\n")
        }
        func networkLabel(_ name: String) -> String {
            let network = state.networks[name]!
            let detail = network.vlan.map { "vlan \($0)" } ?? [network.cidr, network.subnetId].compactMap { $0 }.joined(separator: ", ")
            return detail.isEmpty ? "network.\(name)" : "network.\(name)\n\(detail)"
        }
        let edges: [(app: Int, network: Int, label: String)] = apps.enumerated().flatMap { a, name in
            state.apps[name]!.connections.keys.sorted().compactMap { network in
                networks.firstIndex(of: network).map { n in
                    let connection = state.apps[name]!.connections[network]!
                    return (a, n, connection.vlan.map { "vlan \($0)" + (connection.mode.map { " \($0.rawValue)" } ?? "") } ?? "")
                }
            }
        }
        switch format {
        case .dot:
            var out = "graph state {\n  rankdir=LR;\n  node [fontname=\"Helvetica\", style=filled];\n"
            out += "  label=\(GraphFormat.dotString("sandbox \(state.sandbox?.name ?? state.blueprint): \(apps.count) app\(apps.count == 1 ? "" : "s"), \(networks.count) network\(networks.count == 1 ? "" : "s")")); labelloc=t;\n"
            for (p, provider) in providers.enumerated() {
                out += "  subgraph cluster_\(p) {\n    label=\(GraphFormat.dotString("provider.\(provider)")); style=dashed;\n"
                for (a, name) in apps.enumerated() where state.apps[name]!.provider == provider {
                    out += "    a\(a) [shape=box, label=\(GraphFormat.dotString(appLabel(name))), fillcolor=\"\(state.apps[name]!.power == .on ? "#b7e4c7" : "#dddddd")\"];\n"
                }
                for (n, name) in networks.enumerated() where state.networks[name]!.provider == provider {
                    out += "    w\(n) [shape=ellipse, label=\(GraphFormat.dotString(networkLabel(name))), fillcolor=\"#d8c8f0\"];\n"
                }
                out += "  }\n"
            }
            for edge in edges { out += "  a\(edge.app) -- w\(edge.network)" + (edge.label.isEmpty ? "" : " [label=\(GraphFormat.dotString(edge.label))]") + ";\n" }
            return out + "}\n"
        case .mermaid:
            var out = "flowchart LR\n"
            for (p, provider) in providers.enumerated() {
                out += "  subgraph p\(p)\(GraphFormat.mermaidLabel("provider.\(provider)"))\n"
                for (a, name) in apps.enumerated() where state.apps[name]!.provider == provider {
                    out += "    a\(a)\(GraphFormat.mermaidLabel(appLabel(name))):::\(state.apps[name]!.power == .on ? "on" : "off")\n"
                }
                for (n, name) in networks.enumerated() where state.networks[name]!.provider == provider {
                    out += "    w\(n)\(GraphFormat.mermaidLabel(networkLabel(name), rounded: true)):::network\n"
                }
                out += "  end\n"
            }
            for edge in edges {
                out += "  a\(edge.app) ---" + (edge.label.isEmpty ? " " : "|\(edge.label)| ") + "w\(edge.network)\n"
            }
            out += "  classDef on fill:#b7e4c7,stroke:#555\n  classDef off fill:#dddddd,stroke:#555\n  classDef network fill:#d8c8f0,stroke:#555\n"
            return out
        }
    }
}
