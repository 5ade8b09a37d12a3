import Foundation
import Firmament
import FirmBase
import FirmModel
import FirmPlanning
import FirmExecution
import FirmSession
import FirmDrift

enum StateCommand {
    static func run(_ args: Arguments) async throws {
        try handleHelp(args, Help.state)
        guard let sub = args.positionals.first else { throw UsageError(message: "missing subcommand: list, show, rm, migrate, encrypt or decrypt", command: Help.state) }
        var rest = Array(args.positionals.dropFirst())
        switch sub {
        case "list":
            guard rest.count <= 1 else { throw UsageError(message: "unexpected argument \(quoted(rest[1]))", command: Help.state) }
            let state = try await StateLocator.load(blueprint: rest.first, args, help: Help.state)
            let addresses = state.apps.keys.sorted().map { "app.\($0)" } + state.networks.keys.sorted().map { "network.\($0)" }
                + state.infra.keys.sorted().map { "provider.\($0)" }
            if !addresses.isEmpty { Terminal.out(addresses.joined(separator: "\n")) }
        case "show", "rm":
            guard let address = rest.popLast() else { throw UsageError(message: "missing ADDR, such as app.web", command: Help.state) }
            guard rest.count <= 1 else { throw UsageError(message: "unexpected argument \(quoted(rest[1]))", command: Help.state) }
            let kinds = sub == "show" ? ["app", "network", "provider"] : ["app", "provider"]
            guard let dot = address.firstIndex(of: "."), kinds.contains(String(address[..<dot])),
                Name.isValid(String(address[address.index(after: dot)...]))
            else {
                let expected = sub == "show" ? "app.NAME, network.NAME or provider.NAME"
                    : "app.NAME or provider.NAME (a network is removed by applying a blueprint without it)"
                throw UsageError(message: "\(quoted(address)) is not an address; expected \(expected)", command: Help.state)
            }
            let kind = String(address[..<dot]), name = String(address[address.index(after: dot)...])
            let app = name
            if sub == "show" {
                let state = try await StateLocator.load(blueprint: rest.first, args, help: Help.state)
                let entry: JSON? = switch kind {
                case "app": state.apps[name]?.maskedJSON
                case "network": state.networks[name]?.json
                default: state.maskedJSON["infra"]?[name]
                }
                guard let entry else {
                    Terminal.err("firm: \(address) is not in the state")
                    throw Exit(.failure)
                }
                Terminal.json(entry)
            } else if kind == "provider" {
                try await removeInfra(name, blueprint: rest.first, args)
                Terminal.out("Removed \(address) from the state. Its sandbox infrastructure, if any is left, is no longer managed by Firmament.")
            } else {
                try await remove(app, blueprint: rest.first, args)
                Terminal.out("Removed \(address) from the state. Its VM, if any, is no longer managed by Firmament.")
            }
        case "migrate":
            guard rest.count <= 1 else { throw UsageError(message: "unexpected argument \(quoted(rest[1]))", command: Help.state) }
            try await migrate(blueprint: rest.first, args)
        case "encrypt", "decrypt":
            guard rest.count <= 1 else { throw UsageError(message: "unexpected argument \(quoted(rest[1]))", command: Help.state) }
            try await convert(to: sub == "encrypt" ? .encrypted : .clear, blueprint: rest.first, args)
        default:
            throw UsageError(message: "unknown subcommand \(quoted(sub)); expected list, show, rm, migrate, encrypt or decrypt", command: Help.state)
        }
    }

    /// `firm state migrate [BLUEPRINT] --to PATH|URL`: moves the state, holding both locks.
    static func migrate(blueprint: String?, _ args: Arguments) async throws {
        guard let to = args.values["--to"] else { throw UsageError(message: "migrate needs --to PATH or --to etcd://HOST:PORT/PREFIX", command: Help.state) }
        let (source, name) = try StateLocator.backend(blueprint: blueprint, args, help: Help.state)
        guard let sandbox = try StateLocator.sandbox(of: source, blueprint: name, args) else {
            throw UsageError(message: "name the sandbox with --sandbox NAME", command: Help.state)
        }
        let home = try blueprint.map { blueprint throws(SandboxError) in try SandboxHome.folder(forBlueprint: blueprint) } ?? SandboxHome.folder()
        let destination = try args.components.openState(to, sandbox: sandbox, home: home)
        guard destination.location != source.location else {
            throw UsageError(message: "--to names the state it would move", command: Help.state)
        }
        let moved = try await StateMigration.move(from: source, to: destination, blueprint: name, lockTimeout: try args.duration("--lock-timeout", Help.state))
        Terminal.out("Moved the state of sandbox \(sandbox) (\(moved.apps) apps, serial \(moved.serial)) from \(source.location) to \(destination.location), and read it back.")
        if let kept = moved.kept { Terminal.out("The old files are kept as \(kept); nothing reads them.") }
        Terminal.out("Give --state \(destination.location) (or FIRM_STATE) from now on.")
    }

    /// `firm state encrypt|decrypt [BLUEPRINT]`: every item of the state written again, sealed
    /// with the key set or in clear, under the lock, and read back.
    static func convert(to form: AtRest, blueprint: String?, _ args: Arguments) async throws {
        let (backend, name) = try StateLocator.backend(blueprint: blueprint, args, help: Help.state)
        let outcome = try await StateConversion.convert(backend, to: form, blueprint: name, lockTimeout: try args.duration("--lock-timeout", Help.state))
        let at = backend.location + (backend.namedSandbox.map { " (sandbox \($0))" } ?? "")
        switch outcome {
        case .already(let stored):
            Terminal.out("The state at \(at) is already \(form == .encrypted ? "encrypted with the key set" : "in clear") (\(stored.description)); nothing was written.")
        case .converted(let apps, let serial, let before, let note):
            let done = form == .encrypted ? "Encrypted" : "Decrypted"
            Terminal.out("\(done) the state at \(at) (\(apps) apps, serial \(serial); it was \(before.description)), and read it back"
                         + (form == .clear ? " with no key." : " with the key."))
            if let note { Terminal.out(note) }
        }
    }

    /// `firm state rm provider.NAME`: forgets the provider's sandbox infrastructure and the
    /// subnets recorded on it, after a warning naming them; refused while apps on it remain.
    static func removeInfra(_ provider: String, blueprint: String?, _ args: Arguments) async throws {
        let (backend, name) = try StateLocator.backend(blueprint: blueprint, args, help: Help.state)
        let lock = try await backend.lock(operation: "state rm", timeout: nil)
        defer { lock.release() }
        let loaded = try await StateLocator.loadExisting(backend, blueprint: name, args, writer: true)
        let state = loaded.state
        let networks = state.networks.filter { $0.value.provider == provider }.keys.sorted()
        guard let infra = state.infra[provider] else {
            Terminal.err("firm: provider.\(provider) is not in the state" + (networks.isEmpty ? "" : " (it records no sandbox infrastructure, only networks)"))
            throw Exit(.failure)
        }
        let apps = state.apps.filter { $0.value.provider == provider }.keys.sorted()
        guard apps.isEmpty else {
            Terminal.err("firm: provider.\(provider) still has apps in the state (\(apps.map { "app.\($0)" }.joined(separator: ", "))): "
                         + "destroy them, or forget them with firm state rm app.NAME, first")
            throw Exit(.failure)
        }
        var parts = infra.networkId.isEmpty ? [] : ["network \(infra.networkId)"]
        if !networks.isEmpty { parts.append("subnets " + networks.map { "\($0)=\(state.networks[$0]?.subnetId ?? "")" }.joined(separator: " ")) }
        if !infra.keys.isEmpty { parts.append("its keys") }
        Terminal.err("firm: warning: forgetting provider.\(provider)'s sandbox infrastructure" + (parts.isEmpty ? "" : " (\(parts.joined(separator: ", ")))")
                     + (infra.cleaning ? ", whose cleanup was started and did not finish" : "")
                     + ". Firmament will not clean it up: whatever of it is left in the cloud must be removed there.")
        let opened = loaded.withLineage
        let recorder = StateRecorder(opened, journal: try await backend.openJournal(after: opened))
        try await recorder.record(networks.map(StateChange.removeNetwork) + [.removeInfra(provider)])
        try await recorder.compact()
        await recorder.close()
    }

    static func remove(_ app: String, blueprint: String?, _ args: Arguments) async throws {
        let (backend, name) = try StateLocator.backend(blueprint: blueprint, args, help: Help.state)
        let lock = try await backend.lock(operation: "state rm", timeout: nil)
        defer { lock.release() }
        let loaded = try await StateLocator.loadExisting(backend, blueprint: name, args, writer: true)
        // An app is forgotten with any intent left open for it (a deploy recovery could not settle).
        let intents = loaded.state.intents.values.filter { $0.app == app }.map(\.id).sorted()
        guard loaded.state.apps[app] != nil || !intents.isEmpty else {
            Terminal.err("firm: app.\(app) is not in the state")
            throw Exit(.failure)
        }
        let opened = loaded.withLineage
        let recorder = StateRecorder(opened, journal: try await backend.openJournal(after: opened))
        try await recorder.record([.removeApp(app)] + intents.map(StateChange.endIntent))
        try await recorder.compact()
        await recorder.close()
    }
}
