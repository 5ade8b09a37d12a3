import Foundation
import Firmament
import FirmBase
import FirmModel
import FirmPlanning
import FirmExecution
import FirmSession
import FirmDrift

@main
struct Firm {
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        Signals.shared.install()
        let code = await run(arguments)
        // Locks on etcd are released over the network: let the release arrive. A driver that
        // hangs must not outlive firm.
        await BuiltIn.beforeExit(within: .seconds(3))
        Terminal.flush()
        exit(code.rawValue)
    }

    static func run(_ arguments: [String]) async -> ExitCode {
        guard let name = arguments.first else {
            Terminal.err(Help.overview)
            return .usage
        }
        let rest = Array(arguments.dropFirst())
        do {
            switch name {
            case "validate": try await ValidateCommand.run(try Arguments(rest, for: Help.validate))
            case "catalog": try await CatalogCommand.run(try Arguments(rest, for: Help.catalog))
            case "snapshot": try await SnapshotCommand.run(try Arguments(rest, for: Help.snapshot))
            case "plan": try await PlanCommand.run(try Arguments(rest, for: Help.plan))
            case "apply": try await ApplyCommand.run(try Arguments(rest, for: Help.apply), destroy: false)
            case "destroy": try await ApplyCommand.run(try Arguments(rest, for: Help.destroy), destroy: true)
            case "drift": try await DriftCommand.run(try Arguments(rest, for: Help.drift))
            case "refresh": try await RefreshCommand.run(try Arguments(rest, for: Help.refresh))
            case "reconcile": try await ReconcileCommand.run(try Arguments(rest, for: Help.reconcile))
            case "show": try await ShowCommand.run(try Arguments(rest, for: Help.show))
            case "exec": try await ExecCommand.run(rest)
            case "graph": try await GraphCommand.run(try Arguments(rest, for: Help.graph))
            case "schema": try SchemaCommand.run(try Arguments(rest, for: Help.schema))
            case "state": try await StateCommand.run(try Arguments(rest, for: Help.state))
            case "sandboxes": try await SandboxesCommand.list(try Arguments(rest, for: Help.sandboxes))
            case "gc": try await SandboxesCommand.gc(try Arguments(rest, for: Help.gc))
            case "import": try await ImportCommand.run(try Arguments(rest, for: Help.importVMs))
            case "sim": try await SimCommand.run(try Arguments(rest, for: Help.sim))
            case "driver": try await DriverCommand.run(rest)
            case "force-unlock": try await ForceUnlockCommand.run(try Arguments(rest, for: Help.forceUnlock))
            case "version", "--version":
                if rest.contains("--help") { Terminal.out(Help.version.text) } else { Terminal.out("firm \(FirmamentVersion.current)") }
            case "help", "--help", "-h": try HelpCommand.run(rest)
            default:
                let hint = Spelling.closest(to: name, among: Help.commands.map(\.name)).map { " (did you mean \($0)?)" } ?? ""
                throw UsageError(message: "unknown command \(quoted(name))\(hint)", command: nil)
            }
            return .success
        } catch let exit as Exit {
            return exit.code
        } catch let usage as UsageError {
            Terminal.err("firm: \(usage.message)\n")
            Terminal.err(usage.command?.text ?? Help.overview)
            return .usage
        } catch let error as BlueprintError {
            Terminal.err(error.description)
            if case .invalid(let d) = error, d.count > 1 { Terminal.err("\(d.count) problems found; nothing was changed.") }
            return .failure
        } catch let error as StateError {
            Terminal.err("firm: " + error.description)
            if case .locked = error { return .locked }
            return .failure
        } catch let error as PlanError {
            Terminal.err("firm: " + error.description)
            switch error {
            case .stale, .misplaced: return .stalePlan
            case .invalid: break
            }
            return .failure
        } catch {
            Terminal.err("firm: \(error)")
            return .failure
        }
    }
}

/// Prints help when a command is given `--help`.
func handleHelp(_ args: Arguments, _ help: CommandHelp) throws {
    if args.flag("--help") {
        Terminal.out(help.text)
        throw Exit(.success)
    }
}
