import Foundation
import Firmament
import FirmBase
import FirmModel
import FirmPlanning
import FirmExecution
import FirmSession
import FirmDrift

/// `firm sandboxes` lists the sandboxes of a state folder; `firm gc` destroys the expired ones.
enum SandboxesCommand {
    /// `--state-dir DIR`, else `state/` in the current folder's home.
    static func folder(_ args: Arguments) throws -> String {
        if let state = args.values["--state"] { return try args.components.stateBackends.kind(of: state).catalogLocation(of: state) }
        if let dir = args.values["--state-dir"] { return dir }
        return try SandboxHome.folder() + "/state"
    }

    /// The sandboxes of an etcd prefix (`--state etcd://…` or FIRM_STATE) or of a state folder.
    static func entries(_ args: Arguments, _ where: String) async throws -> [SandboxCatalog.Entry] {
        let now = try SandboxClock.now()
        // A state file's folder is listed; an etcd URL, its prefix.
        let components = args.components
        let kind = try components.stateBackends.kind(of: args.values["--state"])
        return try await SandboxCatalog.list(`where`, kind: kind, options: components.stateOptions, now: now)
    }

    static func list(_ args: Arguments) async throws {
        try handleHelp(args, Help.sandboxes)
        _ = try args.positionals([], Help.sandboxes)
        let dir = try folder(args)
        let entries = try await entries(args, dir)
        if args.flag("--json") {
            Terminal.json(JSON.array(entries.map(\.json)))
            return
        }
        guard !entries.isEmpty else {
            Terminal.out("No sandboxes in \(dir).")
            return
        }
        var rows = [["SANDBOX", "BLUEPRINT", "APPS", "CREATED", "LAST APPLIED", "EXPIRES", "STATUS"]]
        for e in entries {
            rows.append([e.name, e.blueprint.isEmpty ? "-" : e.blueprint, String(e.apps.count), e.created ?? "-", e.lastApplied ?? "-",
                         e.expires ?? "never", e.status + (e.problem.map { ": \($0)" } ?? "")])
        }
        Terminal.out(Terminal.stdoutIsTerminal ? TextTable.aligned(rows) : rows.map { $0.joined(separator: "\t") }.joined(separator: "\n"))
    }

    static func gc(_ args: Arguments) async throws {
        try handleHelp(args, Help.gc)
        _ = try args.positionals([], Help.gc)
        let dir = try folder(args)
        let parallelism = try args.int("--parallelism", default: 10, in: 1...10_000, Help.gc)
        let lockTimeout = try args.duration("--lock-timeout", Help.gc)
        let expired = try await entries(args, dir).filter { $0.status == "expired" }
        if expired.isEmpty {
            Terminal.out("No expired sandboxes in \(dir).")
            return
        }
        if args.flag("--dry-run") {
            for e in expired { Terminal.out("would destroy \(e.name) (blueprint \(e.blueprint), \(e.apps.count) apps, expired \(e.expires ?? "?"))") }
            return
        }
        var failures = 0
        let stop = StopFlag()
        Signals.shared.beginApply(stop, grace: .seconds(10)) {}
        for e in expired {
            if stop.isSet { break }
            do {
                let backend = try args.components.openState(e.location, sandbox: e.name)
                let session = try await Session.fromState(backend, sandbox: e.name, components: args.components, driverLog: Terminal.driverLog(args))
                let summary = try await session.destroyEverything(operation: "gc", lockTimeout: lockTimeout, parallelism: parallelism, stop: stop) { _ in }
                await session.shutdown()
                if summary.succeeded {
                    Terminal.out("destroyed \(e.name): \(summary.done.count) actions")
                } else {
                    failures += 1
                    let reasons = summary.failed.map { "\($0.id): \($0.message)" }.joined(separator: "; ")
                    Terminal.err("firm: gc: \(e.name): \(summary.failed.count) failed, \(summary.skipped.count) skipped\(reasons.isEmpty ? "" : ": " + reasons)")
                }
            } catch {
                failures += 1
                Terminal.err("firm: gc: \(e.name): \(error)")
            }
        }
        Signals.shared.endApply()
        if let code = Signals.shared.exitCode { throw Exit(code) }
        if failures > 0 {
            Terminal.err("firm: gc: \(failures) of \(expired.count) expired sandboxes were not destroyed; run gc again")
            throw Exit(.failure)
        }
    }
}
