import Firmament
import FirmBase
import FirmModel
import FirmSession

/// `firm snapshot`: save a deployed app, list the sandbox's snapshots, delete one (docs/snapshots.md).
enum SnapshotCommand {
    static func run(_ args: Arguments) async throws {
        try handleHelp(args, Help.snapshot)
        switch args.positionals.first {
        case "list":
            let file = try args.positionals(["list", "BLUEPRINT"], Help.snapshot)[1]
            try await withState(file, args, operation: "snapshot list") { session, recorder in
                for note in try await session.settleSnapshots(recorder) { Terminal.err("note: \(note)") }
                list(recorder.state, json: args.flag("--json"))
            }
        case "delete":
            let rest = Array(try args.positionals(["delete", "BLUEPRINT", "SNAP"], Help.snapshot).dropFirst())
            try await withState(rest[0], args, operation: "snapshot delete") { session, recorder in
                for note in try await session.settleSnapshots(recorder) { Terminal.err("note: \(note)") }
                let record = try await session.deleteSnapshot(rest[1], recorder: recorder)
                Terminal.out("Deleted snapshot \(rest[1]) of app.\(record.app) (\(Session.describe(record.artifacts))).")
            }
        default:
            let positionals = try args.positionals(["BLUEPRINT", "app.NAME"], Help.snapshot)
            let app = try Arguments.appName(positionals[1], Help.snapshot)
            guard let name = args.values["--name"] else { throw UsageError(message: "missing --name SNAP", command: Help.snapshot) }
            guard Name.isValid(name) else {
                throw UsageError(message: "--name \(quoted(name)) is not a name: expected letters, digits, '-' and '_', starting with a letter, at most 63 characters", command: Help.snapshot)
            }
            try await withState(positionals[0], args, operation: "snapshot") { session, recorder in
                for note in try await session.settleSnapshots(recorder) { Terminal.err("note: \(note)") }
                let record = try await session.saveSnapshot(app: app, as: name, recorder: recorder)
                Terminal.out("Saved app.\(record.app) as snapshot \(name): \(Session.describe(record.artifacts)).")
                Terminal.out("Deploy from it with \"image\": {\"snapshot\": \"\(name)\"} in an app's deploymentPath attributes.")
            }
        }
    }

    /// Runs `body` with the sandbox's state locked and open for changes, then compacts it.
    static func withState(_ file: String, _ args: Arguments, operation: String,
                          _ body: (Session, StateRecorder) async throws -> Void) async throws {
        let session = try Session(blueprintFile: file, statePath: args.values["--state"], components: args.components, sandbox: args.values["--sandbox"],
                                  driverLog: Terminal.driverLog(args))
        let writable = try await session.open(operation: operation, lockTimeout: try args.duration("--lock-timeout", Help.snapshot), refresh: false,
                                              requireState: true)
        defer { writable.lock.release() }
        for warning in writable.warnings { Terminal.err("warning: \(warning)") }
        do {
            try await body(session, writable.recorder)
        } catch {
            try? await writable.recorder.compact()
            await writable.recorder.close()
            await session.shutdown()
            throw error
        }
        try await writable.recorder.compact()
        await writable.recorder.close()
        await session.shutdown()
    }

    static func list(_ state: State, json: Bool) {
        let names = state.snapshots.keys.sorted()
        if json {
            Terminal.json(.object(JSONObject([("snapshots", .object(JSONObject(names.map { name in
                var o = JSONObject()
                if case .object(let record) = state.snapshots[name]!.json { o = record }
                o["deployedBy"] = .array(state.apps(restoringFrom: name).map(JSON.string))
                return (name, .object(o))
            })))])))
            return
        }
        guard !names.isEmpty else {
            Terminal.out("No snapshots in this sandbox. Save one with: firm snapshot BLUEPRINT app.NAME --name SNAP")
            return
        }
        let rows = names.map { name -> [String] in
            let r = state.snapshots[name]!
            let users = state.apps(restoringFrom: name)
            return [name, "app.\(r.app)", r.provider, r.status.rawValue, Session.describe(r.artifacts), users.isEmpty ? "-" : users.map { "app.\($0)" }.joined(separator: ", ")]
        }
        Terminal.out(CatalogCommand.table(["NAME", "FROM", "PROVIDER", "STATUS", "ARTIFACTS", "DEPLOYED BY"], rows), terminator: "")
    }
}
