import Foundation
import Firmament
import FirmBase
import FirmModel
import FirmPlanning
import FirmExecution
import FirmSession
import FirmGraph

/// `firm graph`: the plan's DAG, or the recorded world, as DOT or Mermaid on stdout.
enum GraphCommand {
    static func run(_ args: Arguments) async throws {
        try handleHelp(args, Help.graph)
        let file = try args.positionals(["BLUEPRINT"], Help.graph)[0]
        let formatText = args.values["--format"] ?? "dot"
        guard let format = GraphFormat(rawValue: formatText) else {
            throw UsageError(message: "--format takes dot or mermaid, not \(quoted(formatText))", command: Help.graph)
        }
        switch args.values["--type"] ?? "plan" {
        case "state":
            if args.values["--plan"] != nil { throw UsageError(message: "--plan draws a plan; it can't go with --type state", command: Help.graph) }
            Terminal.out(StateGraph.render(try await StateLocator.load(blueprint: file, args, help: Help.graph), format: format))
        case "plan":
            let session = try Session(blueprintFile: file, statePath: args.values["--state"], components: args.components, sandbox: args.values["--sandbox"],
                                      driverLog: Terminal.driverLog(args), readAhead: true)
            let plan: Plan
            if let path = args.values["--plan"] {
                guard let saved = try PlanFile.readIfPlan(path) else {
                    throw StateError.io(location: path, reason: "not a saved plan (expected a file written by `firm plan --out`)")
                }
                plan = saved
            } else {
                let preview = try await session.preview(refresh: args.enabled("--refresh"), destroy: false, parallelism: 10)
                for warning in preview.warnings { Terminal.err("warning: \(warning)") }
                plan = preview.plan
                KeptUntilExit.keep(preview)
            }
            Terminal.out(PlanGraph.render(plan, costs: ActionCosts(session.blueprint), format: format))
            KeptUntilExit.keep(session)
        case let other:
            throw UsageError(message: "--type takes plan or state, not \(quoted(other))", command: Help.graph)
        }
    }
}
