import Firmament
import Foundation

@main
struct Firm {
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        let code = await run(arguments)
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
            case "validate": try ValidateCommand.run(try Arguments(rest, for: Help.validate))
            case "plan": try await PlanCommand.run(try Arguments(rest, for: Help.plan))
            case "apply": try await ApplyCommand.run(try Arguments(rest, for: Help.apply), destroy: false)
            case "destroy": try await ApplyCommand.run(try Arguments(rest, for: Help.destroy), destroy: true)
            case "drift": try await DriftCommand.run(try Arguments(rest, for: Help.drift))
            case "refresh": try await RefreshCommand.run(try Arguments(rest, for: Help.refresh))
            case "reconcile": try await ReconcileCommand.run(try Arguments(rest, for: Help.reconcile))
            case "show": try ShowCommand.run(try Arguments(rest, for: Help.show))
            case "state": try await StateCommand.run(try Arguments(rest, for: Help.state))
            case "sim": try await SimCommand.run(try Arguments(rest, for: Help.sim))
            case "driver": try await DriverCommand.run(rest)
            case "force-unlock": try ForceUnlockCommand.run(try Arguments(rest, for: Help.forceUnlock))
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
            if case .stale = error { return .stalePlan }
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

enum ForceUnlockCommand {
    static func run(_ args: Arguments) throws {
        try handleHelp(args, Help.forceUnlock)
        let p = try args.positionals(["BLUEPRINT", "LOCK_ID"], Help.forceUnlock)
        let (paths, _) = try StateLocator.paths(blueprint: p[0], statePath: args.values["--state"], help: Help.forceUnlock)
        switch try StateLock.forceUnlock(paths, id: p[1]) {
        case .cleared(let info?):
            Terminal.out("The lock \(info.id) (\(info.operation) by \(info.who), pid \(info.pid)) was no longer held; its information is cleared.")
        case .cleared(nil):
            Terminal.out("The state is not locked.")
        }
    }
}

enum HelpCommand {
    static func run(_ rest: [String]) throws {
        if rest == ["--help"] {
            Terminal.out(Help.help.text)
            return
        }
        guard let name = rest.first else {
            Terminal.out(Help.overview)
            return
        }
        guard let command = Help.commands.first(where: { $0.name == name }) else {
            throw UsageError(message: "no help for unknown command \(quoted(name))", command: Help.help)
        }
        Terminal.out(command.text)
    }
}

enum ValidateCommand {
    static func run(_ args: Arguments) throws {
        try handleHelp(args, Help.validate)
        let file = try args.positionals(["BLUEPRINT"], Help.validate)[0]
        let result: Result<Blueprint, BlueprintError>
        do { result = .success(try BlueprintDecoder.load(path: file)) } catch { result = .failure(error) }
        guard args.flag("--json") else {
            let blueprint = try result.get()
            Terminal.out("\(file): valid blueprint \(quoted(blueprint.name)): \(blueprint.providers.count) provider(s), \(blueprint.apps.count) app(s), \(blueprint.networks.count) network(s), \(blueprint.connectors.count) connector(s).")
            return
        }
        switch result {
        case .success:
            Terminal.out((["valid": true, "problems": []] as JSON).prettyText)
        case .failure(.invalid(let d)):
            let problems: [JSON] = d.map {
                ["file": .string($0.file), "line": .int($0.position?.line ?? 0), "column": .int($0.position?.column ?? 0),
                 "path": .string($0.path), "message": .string($0.message)]
            }
            Terminal.out((["valid": false, "problems": .array(problems)] as JSON).prettyText)
            throw Exit(.failure)
        case .failure(.unreadable(let file, let reason)):
            let problem: JSON = ["file": .string(file), "line": 0, "column": 0, "path": "", "message": .string(reason)]
            Terminal.out((["valid": false, "problems": [problem]] as JSON).prettyText)
            throw Exit(.failure)
        }
    }
}
