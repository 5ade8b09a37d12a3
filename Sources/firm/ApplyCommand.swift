import Foundation
import Firmament
import FirmBase
import FirmModel
import FirmPlanning
import FirmExecution
import FirmSession
import FirmDrift

enum ApplyCommand {
    static func run(_ args: Arguments, destroy: Bool) async throws {
        let help = destroy ? Help.destroy : Help.apply
        try handleHelp(args, help)
        // `firm destroy --sandbox NAME` (or --state PATH) needs no blueprint: the state recorded its providers.
        let fromState = destroy && args.positionals.isEmpty
            && (args.values["--sandbox"] != nil || args.values["--state"] != nil || ProcessInfo.processInfo.environment["FIRM_SANDBOX"].map { !$0.isEmpty } == true)
        let target = fromState ? "" : try args.positionals([destroy ? "BLUEPRINT" : "BLUEPRINT or PLANFILE"], help)[0]
        let parallelism = try args.int("--parallelism", default: 10, in: 1...10_000, help)
        let lockTimeout = try args.duration("--lock-timeout", help)
        let stopTimeout = try args.duration("--stop-timeout", help) ?? .seconds(10)
        _ = try SandboxClock.now()
        let ttl = try args.duration("--ttl", help).map { ttl throws(UsageError) -> Duration in
            guard ttl > .zero, ttl <= BlueprintDecoder.maxTTL else { throw UsageError(message: "--ttl takes more than 0 and at most 100d", command: help) }
            return ttl
        }
        let read = destroy || fromState ? PlanFile.Read() : try PlanFile.read(target)
        let saved = read.plan
        let autoApprove = args.flag("--auto-approve") || saved != nil
        if !autoApprove && args.flag("--json") {
            throw UsageError(message: "--json needs --auto-approve (or a saved plan): the event stream can't ask for confirmation", command: help)
        }
        if !autoApprove && !Terminal.stdinIsTerminal {
            throw UsageError(message: "stdin is not a terminal, so firm cannot ask for confirmation; pass --auto-approve", command: help)
        }
        // A first apply in a folder with no state/ at or above it makes one there: say so.
        // (Arguments puts FIRM_STATE in values["--state"].)
        let newHome = fromState || saved != nil || args.values["--state"] != nil
            ? nil : (try? SandboxHome.folder(forBlueprint: target)).flatMap { home in
                FileManager.default.fileExists(atPath: (home as NSString).appendingPathComponent("state")) ? nil : home
            }
        // The event file is opened first: one that can't be written refuses before anything is done.
        var output = try RunOutput(args, help, sandbox: nil)
        let session: Session
        if fromState {
            let (backend, _) = try StateLocator.backend(blueprint: nil, args, help: help)
            let sandbox = try SandboxHome.sandbox(args.values["--sandbox"], blueprint: "")
            let name = sandbox.isEmpty ? ((backend.location as NSString).lastPathComponent.components(separatedBy: ".state.json").first ?? "") : sandbox
            session = try await Session.fromState(backend, sandbox: name, components: args.components, driverLog: Terminal.driverLog(args))
        } else {
            session = try Session(blueprintFile: saved?.location?.blueprint ?? target, statePath: args.values["--state"] ?? saved?.location?.state, components: args.components,
                                  sandbox: args.values["--sandbox"] ?? saved?.location?.sandbox, driverLog: Terminal.driverLog(args),
                                  preread: read.other)
        }
        output.about(session.sandbox)
        let summary: ExecutionSummary?
        do {
            summary = try await apply(session, saved: saved, destroy: destroy, ttl: ttl, args, help, newHome: newHome, parallelism: parallelism, lockTimeout: lockTimeout,
                                      stopTimeout: stopTimeout, autoApprove: autoApprove, output: &output)
        } catch {
            _ = await output.close()
            throw error
        }
        let written = await output.close(wall: summary?.elapsed)
        guard let summary else { return }
        if let code = Signals.shared.exitCode { throw Exit(code) }
        if !summary.succeeded || !written { throw Exit(.failure) }
    }

    /// Settles, plans, asks and runs; the summary, or nil when there was nothing to do.
    /// `newHome` is the blueprint's home when this apply makes its state/ folder.
    private static func apply(_ session: Session, saved: Plan?, destroy: Bool, ttl: Duration?, _ args: Arguments, _ help: CommandHelp, newHome: String?, parallelism: Int,
                              lockTimeout: Duration?, stopTimeout: Duration, autoApprove: Bool, output: inout RunOutput) async throws -> ExecutionSummary? {
        if let saved { try session.checkPlace(saved) }
        // A time to live that no state could record is refused before anything is locked.
        if !destroy, let ttl = ttl ?? session.blueprint.ttl { _ = try SandboxClock.adding(ttl, to: SandboxClock.now()) }
        let settled = try await session.lockAndSettle(operation: destroy ? "destroy" : "apply", lockTimeout: lockTimeout,
                                                     refresh: args.enabled("--refresh"), parallelism: parallelism, requireState: destroy)
        defer { settled.lock.release() }
        for warning in settled.loaded.warnings { output.warn(warning) }
        output.settled(operation: destroy ? "destroy" : "apply", lockWaited: settled.lockWaited, recovered: settled.recovered, drift: settled.drift)
        if let note = session.newStateNote(settled.loaded, applying: true) { Terminal.err("note: " + note) }
        if let newHome {
            Terminal.err("note: no folder at or above the blueprint holds state/, so its home is \(newHome): firm keeps the sandboxes' states in state/ there, "
                         + "and relative paths in provider settings (the simulated cloud's .firm/) are taken from it; see docs/sandboxes.md")
        }
        if args.flag("--verbose") { Terminal.err("state: \(session.backend.location) (sandbox \(session.sandbox))") }
        output.out(Reports.preamble(recovered: settled.recovered, drift: settled.drift), terminator: "")

        // Everything that can refuse is checked before anything is written. The plan's VLANs
        // are reserved in the pool as it is made; a refusal below gives them back.
        if let saved { try session.checkFresh(saved, settled) }
        let (plan, locked) = try await session.planAndReserve(settled, destroying: destroy, saved: saved)
        do {
            if args.enabled("--refresh") { try await session.refuseDuplicates(plan, state: locked.state) }
            if !destroy { try session.checkSnapshots(locked.state) }
            for warning in try await session.checkCatalog(plan) { output.warn(warning) }
            let missing = session.missingEnvironment(for: plan)
            output.showStatus(plan, verbose: args.flag("--verbose"), destroy: destroy)
            if plan.hasChanges {
                // A plan too long to read on a terminal is its summary; `firm plan` lists it.
                output.out(output.status == nil ? PlanRenderer.text(plan)
                           : PlanRenderer.summaryLine(plan) + " (\(plan.actions.count) actions: `firm plan` or --verbose lists them)\n")
            }
            output.emit(.plan(plan, operation: destroy ? "destroy" : "apply"))
            if !missing.isEmpty {
                Terminal.err("firm: these environment variables are needed by {\"env\": …} attributes and are not set: \(missing.joined(separator: ", ")); nothing was changed.")
                throw Exit(.failure)
            }
            if plan.hasChanges && !autoApprove {
                output.out("Do you want to perform these actions? Only 'yes' will be accepted: ", terminator: "")
                guard await Terminal.readLine()?.trimmingCharacters(in: .whitespaces) == "yes" else {
                    output.out("\(destroy ? "Destroy" : "Apply") cancelled; nothing was changed.")
                    throw Exit(.failure)
                }
            }
        } catch {
            try? await session.releaseReservation(settled)
            throw error
        }
        let writable = try await session.begin(locked, ttl: destroy ? nil : ttl ?? session.blueprint.ttl)
        guard plan.hasChanges else {
            try await session.finish(writable, blueprint: destroy ? session.emptied : session.blueprint)
            await writable.recorder.close()
            output.out(PlanRenderer.text(plan))
            output.emit(.summary(ExecutionSummary(), operation: destroy ? "destroy" : "apply"))
            return nil
        }
        let stop = StopFlag()
        let progress = output.progress
        let run = Task {
            try await session.execute(plan, on: writable, blueprintForRun: destroy ? session.emptied : nil, parallelism: parallelism,
                                      stop: stop, progress: progress, roundEnd: Progress.roundEnd)
        }
        Signals.shared.beginApply(stop, grace: stopTimeout) { run.cancel() }
        let summary = try await run.value
        Signals.shared.endApply()
        output.status?.finish()
        output.out(Progress.summary(summary, destroy: destroy))
        output.emit(.summary(summary, operation: destroy ? "destroy" : "apply"))
        if let saveError = summary.saveError {
            Terminal.err("""
                firm: the results could not be compacted into a new snapshot: \(saveError)
                Every result is safe in the journal of \(session.backend.location), and the next run reads it from there.
                Fix the cause (free space, or the folder's permissions), then run `firm refresh \(session.blueprintFile)`, which compacts it.
                """)
        }
        return summary
    }
}
