import Firmament
import Foundation

enum ShowCommand {
    static func run(_ args: Arguments) async throws {
        try handleHelp(args, Help.show)
        let target = args.positionals.first
        if args.positionals.count > 1 { throw UsageError(message: "unexpected argument \(quoted(args.positionals[1]))", command: Help.show) }
        if let target, let plan = try PlanFile.readIfPlan(target) {
            Terminal.out(args.flag("--json") ? plan.json.prettyText : PlanRenderer.text(plan))
            return
        }
        let state = try await StateLocator.load(blueprint: target, statePath: args.values["--state"], help: Help.show)
        if args.flag("--json") {
            Terminal.out(state.maskedJSON.prettyText)
            return
        }
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

/// Finds the state from a blueprint or `--state`.
enum StateLocator {
    /// The state's backend, and the blueprint's name when a blueprint was given.
    static func backend(blueprint: String?, statePath: String?, help: CommandHelp) throws -> (any StateBackend, String?) {
        if statePath == nil && blueprint == nil {
            throw UsageError(message: "name the BLUEPRINT, or the state with --state PATH", command: help)
        }
        let name = try blueprint.map { try BlueprintDecoder.load(path: $0).name }
        return (try StateBackends.resolve(statePath, blueprint: name ?? ""), name)
    }

    static func load(blueprint: String?, statePath: String?, help: CommandHelp) async throws -> State {
        let (backend, name) = try backend(blueprint: blueprint, statePath: statePath, help: help)
        let loaded = try await backend.load(blueprint: name, writer: false)
        for warning in loaded.warnings { Terminal.err("warning: \(warning)") }
        return loaded.state
    }
}
