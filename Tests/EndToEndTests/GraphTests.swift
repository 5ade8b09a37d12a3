import Foundation
import Testing
import FirmTestSupport

/// `firm graph`, run as a user runs it, and its DOT rendered by Graphviz's own `dot`.
@Suite("End to end: firm graph draws the plan and the recorded world")
struct GraphTests {
    /// Graphviz's `dot`, which scripts/test installs (FIRM_DOT).
    static let dot = ProcessInfo.processInfo.environment["FIRM_DOT"].flatMap { $0.isEmpty ? nil : $0 }

    /// `dot -Tsvg` of `source`: its exit status and the SVG.
    static func render(_ source: String, in firm: FirmProcess) throws -> (code: Int32, svg: String) {
        firm.write("graph.dot", source)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(dot, "scripts/test installs graphviz and sets FIRM_DOT"))
        process.arguments = ["-Tsvg", firm.path("graph.dot"), "-o", firm.path("graph.svg")]
        try process.run()
        process.waitUntilExit()
        return (process.terminationStatus, firm.read("graph.svg") ?? "")
    }

    @Test("the plan of the three-tier blueprint: a node per action, an edge per dependency, the critical path bold, and dot renders it",
          .enabled(if: ProcessInfo.processInfo.environment["FIRM_DOT"] != nil || ProcessInfo.processInfo.environment["CI"] != nil))
    func planGraph() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("lab.json", try String(contentsOf: ProcessDriverTests.root.appendingPathComponent("blueprints/three-tier-l2.json"), encoding: .utf8))
        let plan = try firm.run(["plan", "lab.json", "--json"])
        #expect(plan.code == 0, "\(plan.output)")
        let actions = plan.stdout.components(separatedBy: "\"id\":").count - 1
        let graph = try firm.run(["graph", "lab.json"])
        #expect(graph.code == 0, "\(graph.output)")
        let nodes = graph.stdout.split(separator: "\n").filter { $0.contains("[label=") && $0.contains("fillcolor") }
        #expect(nodes.count == actions && actions > 0, "\(nodes.count) nodes for \(actions) actions")
        #expect(graph.stdout.contains("label=\"+ deploy app.web\"") && graph.stdout.contains("subgraph cluster_0"))
        // The critical path is one chain: bold nodes joined by bold edges, from a deploy to the
        // end of its app's work.
        let boldNodes = nodes.filter { $0.contains("penwidth=3") }
        let boldEdges = graph.stdout.split(separator: "\n").filter { $0.contains("->") && $0.contains("penwidth=3") }
        #expect(boldNodes.count >= 2 && boldEdges.count == boldNodes.count - 1, "\(boldNodes) \(boldEdges)")
        #expect(boldNodes.first?.contains("+ deploy") == true)
        let rendered = try Self.render(graph.stdout, in: firm)
        #expect(rendered.code == 0)
        #expect(rendered.svg.contains("<svg") && rendered.svg.contains("+ deploy app.web") && rendered.svg.contains("provider.lab"))

        let mermaid = try firm.run(["graph", "lab.json", "--format", "mermaid"])
        #expect(mermaid.code == 0 && mermaid.stdout.hasPrefix("flowchart LR\n"))
        #expect(mermaid.stdout.contains("==>") && mermaid.stdout.contains(":::deployCritical"))

        #expect(try firm.run(["graph", "lab.json", "--format", "svg"]).code == 64, "an unknown format is a usage error")
        #expect(try firm.run(["graph", "lab.json", "--type", "world"]).code == 64, "an unknown type is a usage error")
    }

    @Test("a saved plan is drawn as saved; after apply, --type state draws apps, networks and their VLANs, and dot renders it",
          .enabled(if: ProcessInfo.processInfo.environment["FIRM_DOT"] != nil || ProcessInfo.processInfo.environment["CI"] != nil))
    func stateGraph() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("lab.json", try String(contentsOf: ProcessDriverTests.root.appendingPathComponent("blueprints/three-tier-l2.json"), encoding: .utf8))
        #expect(try firm.run(["plan", "lab.json", "--out", "lab.plan"]).code == 0)
        let saved = try firm.run(["graph", "lab.json", "--plan", "lab.plan"])
        let fresh = try firm.run(["graph", "lab.json"])
        #expect(saved.code == 0 && saved.stdout == fresh.stdout, "the saved plan draws as the plan it saved")
        #expect(try firm.run(["graph", "lab.json", "--plan", "lab.json"]).code == 1, "a blueprint is not a saved plan")

        #expect(try firm.run(["apply", "lab.json", "--auto-approve"]).code == 0)
        let state = try firm.run(["graph", "lab.json", "--type", "state"])
        #expect(state.code == 0, "\(state.output)")
        #expect(state.stdout.hasPrefix("graph state {"))
        for name in ["app.web", "app.app", "app.db", "network.frontend", "network.backend"] { #expect(state.stdout.contains(name), "\(name)") }
        #expect(state.stdout.contains("-- w") && state.stdout.contains("vlan 100"))
        let rendered = try Self.render(state.stdout, in: firm)
        #expect(rendered.code == 0 && rendered.svg.contains("network.backend"))
        // Nothing to do: the plan's picture is an empty graph, still valid.
        let empty = try firm.run(["graph", "lab.json"])
        #expect(empty.code == 0 && !empty.stdout.contains("->"))
        #expect(try Self.render(empty.stdout, in: firm).code == 0)
    }
}
