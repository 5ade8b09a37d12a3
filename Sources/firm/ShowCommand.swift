import Foundation
import Firmament
import FirmBase
import FirmModel
import FirmPlanning
import FirmExecution
import FirmSession
import FirmDrift

enum ShowCommand {
    static func run(_ args: Arguments) async throws {
        try handleHelp(args, Help.show)
        let target = args.positionals.first
        if args.positionals.count > 1 { throw UsageError(message: "unexpected argument \(quoted(args.positionals[1]))", command: Help.show) }
        if let target, let plan = try PlanFile.readIfPlan(target) {
            Terminal.out(args.flag("--json") ? plan.json.prettyText : PlanRenderer.text(plan))
            return
        }
        let (backend, name) = try StateLocator.backend(blueprint: target, args, help: Help.show)
        let state = try await StateLocator.loadExisting(backend, blueprint: name, args).state
        if args.flag("--json") {
            Terminal.json(state.maskedJSON)
            return
        }
        Terminal.out("State at \(backend.location)")
        Terminal.out(text(state))
    }

    static func text(_ state: State) -> String {
        var out = "State of blueprint \(quoted(state.blueprint)) (serial \(state.serial), lineage \(state.lineage))\n"
        if state.apps.isEmpty { out += "\nNo apps are deployed.\n" }
        for name in state.apps.keys.sorted() {
            let app = state.apps[name]!
            out += "\napp.\(name)\n"
            out += "  vm:         \(app.vmName) (\(app.vmUuid))\n"
            out += "  provider:   \(app.provider), \(app.deploymentPath.deploymentType)\n"
            out += "  power:      \(app.power.rawValue)\n"
            out += "  address:    \(app.address.isEmpty ? "(none)" : app.address)\(app.publicAddress.isEmpty ? "" : ", public \(app.publicAddress)")\n"
            for (key, value) in app.attributes.sorted(by: { $0.key < $1.key }) {
                out += "  attribute:  \(key) = \(Masking.isSensitive(key) && !value.isEnvReference ? Masking.mask : value.display)\n"
            }
            for (key, value) in app.deployedAttributes.sorted(by: { $0.key < $1.key }) {
                out += "  deployed:   \(key) = \(Masking.isSensitive(key) ? Masking.mask : quoted(value))\n"
            }
            for (network, c) in app.connections.sorted(by: { $0.key < $1.key }) {
                if let vlan = c.vlan {
                    out += "  connected:  network.\(network), vlan \(vlan) (\((c.mode ?? .access).rawValue))\(c.interface.isEmpty ? "" : " on \(c.interface)")\n"
                } else {
                    out += "  connected:  network.\(network), subnet \(c.subnetId ?? "?")\(c.interface.isEmpty ? "" : " on \(c.interface)")\n"
                }
            }
        }
        for name in state.networks.keys.sorted() {
            let n = state.networks[name]!
            out += "\nnetwork.\(name)\n"
            out += "  provider:   \(n.provider)\n"
            if let vlan = n.vlan { out += "  vlan:       \(vlan)\n" }
            if let cidr = n.cidr { out += "  subnet:     \(cidr)\(n.isPublic ? " (public)" : "")\(n.subnetId.map { ", id \($0)" } ?? "")\n" }
            let members = state.apps.keys.sorted().filter { state.apps[$0]!.connections[name] != nil }
            out += "  apps:       \(members.isEmpty ? "(none)" : members.joined(separator: ", "))\n"
        }
        for provider in state.infra.keys.sorted() {
            let i = state.infra[provider]!
            out += "\nprovider.\(provider) (sandbox infrastructure)\n"
            out += "  network:    \(i.networkId)\(i.cidr.isEmpty ? "" : ", cloud \(i.cidr)")\n"
            out += "  keys:       \(i.keys.isEmpty ? "(none)" : Masking.mask)\n"
        }
        if !state.intents.isEmpty {
            out += "\nInterrupted provider calls (settled by the next plan or apply):\n"
            for intent in state.intents.values.sorted(by: { $0.id < $1.id }) {
                out += "  \(intent.operation.rawValue) app.\(intent.app) as \(intent.vmName), started \(intent.started)\n"
            }
        }
        return out
    }
}

/// Finds the state from a blueprint (with `--sandbox`), `--state`, or `--sandbox` alone.
enum StateLocator {
    /// The state's backend, and the blueprint's name when a blueprint was given. Without a
    /// blueprint, `--sandbox` names a state in the current folder's home (the nearest folder at
    /// or above it that holds state/).
    static func backend(blueprint: String?, _ args: Arguments, help: CommandHelp) throws -> (any StateBackend, String?) {
        let statePath = args.values["--state"]
        let given = args.values["--sandbox"] ?? ProcessInfo.processInfo.environment["FIRM_SANDBOX"].flatMap { $0.isEmpty ? nil : $0 }
        guard let blueprint else {
            if let statePath { return (try args.components.openState(statePath, sandbox: given ?? ""), nil) }
            guard given != nil else {
                throw UsageError(message: "name the BLUEPRINT, the sandbox with --sandbox NAME, or the state with --state PATH", command: help)
            }
            let sandbox = try SandboxHome.sandbox(args.values["--sandbox"], blueprint: "")
            let home = try SandboxHome.folder()
            return (try args.components.openState(nil, sandbox: sandbox, home: home), nil)
        }
        let name = try BlueprintDecoder.load(path: blueprint, types: args.components.providerTypes).name
        let sandbox = try SandboxHome.sandbox(args.values["--sandbox"], blueprint: name)
        return (try args.components.openState(statePath, sandbox: sandbox, home: try SandboxHome.folder(forBlueprint: blueprint)), name)
    }

    /// The sandbox a state belongs to: the one the backend names, else `--sandbox` or
    /// `FIRM_SANDBOX`, else the blueprint's name, else the state file's name; nil when none says.
    static func sandbox(of backend: any StateBackend, blueprint: String?, _ args: Arguments) throws -> String? {
        if let named = backend.namedSandbox { return named }
        if let given = args.values["--sandbox"] ?? ProcessInfo.processInfo.environment["FIRM_SANDBOX"].flatMap({ $0.isEmpty ? nil : $0 }) {
            return try SandboxHome.sandbox(given, blueprint: "")
        }
        if let blueprint { return blueprint }
        let file = (backend.location as NSString).lastPathComponent
        guard file.hasSuffix(".state.json") else { return nil }
        return try SandboxHome.sandbox(String(file.dropLast(".state.json".count)), blueprint: "")
    }

    /// The state, refused when it isn't there: a command that reads a state never takes a
    /// missing one for an empty one.
    static func loadExisting(_ backend: any StateBackend, blueprint: String?, _ args: Arguments, writer: Bool = false) async throws -> LoadedState {
        let loaded = try await backend.load(blueprint: blueprint, writer: writer)
        guard loaded.existed else {
            throw SandboxError.noState(location: backend.location, sandbox: (try? sandbox(of: backend, blueprint: blueprint, args)) ?? "")
        }
        for warning in loaded.warnings { Terminal.err("warning: \(warning)") }
        return loaded
    }

    static func load(blueprint: String?, _ args: Arguments, help: CommandHelp) async throws -> State {
        let (backend, name) = try backend(blueprint: blueprint, args, help: help)
        return try await loadExisting(backend, blueprint: name, args).state
    }
}
