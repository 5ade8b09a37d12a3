import Foundation
import Firmament
import FirmBase
import FirmEncryption
import FirmModel
import FirmSession

/// `firm exec BLUEPRINT app.NAME -- COMMAND…`: runs a command inside a deployed app, through
/// its provider type, and ends with the command's status.
enum ExecCommand {
    static func run(_ arguments: [String]) async throws {
        let split = arguments.firstIndex(of: "--")
        let args = try Arguments(Array(arguments[..<(split ?? arguments.endIndex)]), for: Help.exec)
        try handleHelp(args, Help.exec)
        let positionals = try args.positionals(["BLUEPRINT", "app.NAME"], Help.exec)
        guard let split, split + 1 < arguments.count else {
            throw UsageError(message: "name the command to run after --, such as: firm exec lab.json app.web -- ping -c 1 10.77.0.65", command: Help.exec)
        }
        let command = Array(arguments[(split + 1)...])
        let name = try Arguments.appName(positionals[1], Help.exec)
        let blueprintFile = positionals[0]
        let types = args.components.providerTypes
        let blueprint = try BlueprintDecoder.load(path: blueprintFile, types: types)
        let sandbox = try SandboxHome.sandbox(args.values["--sandbox"], blueprint: blueprint.name)
        let home = try SandboxHome.folder(forBlueprint: blueprintFile)
        let backend = try args.components.openState(args.values["--state"], sandbox: sandbox, home: home)
        let state = try await StateLocator.loadExisting(backend, blueprint: blueprint.name, args).state
        guard let app = state.apps[name] else {
            throw ExecError("app.\(name) is not deployed in sandbox \(quoted(sandbox)) (`firm show` lists what is)")
        }
        guard let spec = blueprint.providers[app.provider], let type = types.type(named: spec.type) else {
            throw ExecError("app.\(name) is on provider \(quoted(app.provider)), which blueprint \(quoted(blueprint.name)) no longer has")
        }
        let context = ProviderContext(name: app.provider, spec: spec, sandbox: sandbox, baseDirectory: home)
        guard let argv = try type.execArguments(context, app: app, command: command), let program = argv.first else {
            throw ExecError("exec is not supported by provider type \(spec.type) (provider \(quoted(app.provider)) of app.\(name))")
        }
        // Started with posix_spawn (ChildSpawn), on firm's own stdin, stdout and stderr, and
        // without the state's key: the command runs in the app, which has no use for it.
        let environment = ProcessInfo.processInfo.environment.filter { !StateKeys.variables.contains($0.key) }
        let status = try await DispatchQueue(label: "firm.exec").perform { () throws -> Int32 in
            try ChildSpawn.spawn(program, Array(argv.dropFirst()), environment: environment, stdin: 0, stdout: 1, stderr: 2).wait()
        }
        Terminal.flush()
        exit(status)
    }
}

/// Why `firm exec` could not run the command.
struct ExecError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
