import Foundation
import Firmament
import FirmBase
import FirmModel
import FirmPlanning
import FirmExecution
import FirmSession
import FirmDrift
import FirmFleet
import FirmEvents

/// `firm reconcile BLUEPRINT --every 30s`: the controller loop. Each cycle first looks without
/// the lock (a quiet sandbox is done there, with nothing written); otherwise it locks the state,
/// recovers, refreshes, plans and applies, releases the lock. It logs one line. A cycle starts
/// one interval after the last one started. Errors back off exponentially up to a cap. SIGINT
/// or SIGTERM stops it cleanly between or inside cycles.
enum ReconcileCommand {

    static func run(_ args: Arguments) async throws {
        try handleHelp(args, Help.reconcile)
        guard !args.positionals.isEmpty else { throw UsageError(message: "missing BLUEPRINT", command: Help.reconcile) }
        let state = args.values["--state"]
        if try args.positionals.count > 1 || args.components.stateBackends.kind(of: state).isShared {
            return try await ReconcileFleet.run(args)
        }
        let file = args.positionals[0]
        guard let every = try args.duration("--every", Help.reconcile), every >= .milliseconds(100) else {
            throw UsageError(message: "--every is required, at least 100ms, such as --every 30s", command: Help.reconcile)
        }
        let parallelism = try args.int("--parallelism", default: 10, in: 1...10_000, Help.reconcile)
        let maxCycles = try args.int("--max-cycles", default: 0, in: 0...Int.max, Help.reconcile)
        // The sandbox the cycles' events are about, also when a cycle fails before its session is open.
        let sandbox = (try? BlueprintDecoder.load(path: file, types: args.components.providerTypes).name).flatMap { try? SandboxHome.sandbox(args.values["--sandbox"], blueprint: $0) }
        let output = try RunOutput(args, Help.reconcile, sandbox: sandbox)
        let stop = StopFlag()
        Signals.shared.beginApply(stop)
        var failures = 0
        var cycle = 0
        var lastFailed = false
        while !stop.isSet && (maxCycles == 0 || cycle < maxCycles) {
            cycle += 1
            let started = ContinuousClock.now
            var wait = every
            do {
                let (line, cycled) = try await runCycle(file: file, args: args, parallelism: parallelism, stop: stop, events: output.events)
                failures = 0
                lastFailed = false
                let elapsed = ContinuousClock.now - started
                log(output, "cycle \(cycle): \(line) in \(DurationText.format(elapsed))")
                output.events?.about(cycled).emit(.cycle(number: cycle, result: line, failed: false, terminal: false, elapsed: elapsed))
            } catch {
                failures += 1
                lastFailed = true
                // A terminal failure (a bad credential, an invalid request) won't go away by
                // itself: back off eight times faster than for a retryable one, so it is not hammered.
                let terminal = isTerminal(error)
                wait = FleetSchedule.backoff(every: every, failures: failures, terminal: terminal)
                log(output, "cycle \(cycle): \(terminal ? "terminal " : "")error: \(describe(error)); retrying in \(DurationText.format(wait))")
                output.emit(.cycle(number: cycle, result: "error: \(describe(error))", failed: true, terminal: terminal, elapsed: ContinuousClock.now - started))
            }
            if maxCycles != 0 && cycle >= maxCycles { break }
            // The next cycle is due one interval after this one started, not after it ended.
            let deadline = started + wait
            while !stop.isSet && ContinuousClock.now < deadline {
                try? await Task.sleep(for: min(.milliseconds(100), deadline - ContinuousClock.now))
            }
        }
        Signals.shared.endApply()
        log(output, "stopped after \(cycle) cycle\(cycle == 1 ? "" : "s")" + (lastFailed ? "; the last one failed" : ""))
        if !(await output.close()) || lastFailed { throw Exit(.failure) }
    }

    /// One cycle of one sandbox; `shared` holds the slots its actions share with the cycles
    /// running beside it (a fleet's), nil for a cycle alone.
    /// Its line, and the sandbox it was about. `events` hears what it did (`--json`).
    static func runCycle(file: String, args: Arguments, parallelism: Int, shared: ProviderGate? = nil, stop: StopFlag, sandbox: String? = nil,
                         events: EventStream? = nil) async throws -> (line: String, sandbox: String) {
        let session = try Session(blueprintFile: file, statePath: args.values["--state"], components: args.components, sandbox: sandbox ?? args.values["--sandbox"])
        do {
            let line = try await runCycle(session, args: args, parallelism: parallelism, shared: shared, stop: stop, events: events?.about(session.sandbox))
            await session.shutdown()
            return (line, session.sandbox)
        } catch {
            await session.shutdown()
            throw error
        }
    }

    /// One cycle on an open session; its drivers are shut down by the caller.
    static func runCycle(_ session: Session, args: Arguments, parallelism: Int, shared: ProviderGate? = nil, stop: StopFlag, events: EventStream? = nil) async throws -> String {
        if try await session.isQuiet(parallelism: parallelism) { return "in sync" }
        let settled = try await session.lockAndSettle(operation: "reconcile", lockTimeout: try args.duration("--lock-timeout", Help.reconcile),
                                                      refresh: true, parallelism: parallelism)
        defer { settled.lock.release() }
        events?.settled(operation: "reconcile", lockWaited: settled.lockWaited, recovered: settled.recovered, drift: settled.drift)
        let (plan, locked) = try await session.planAndReserve(settled, destroying: false, saved: nil)
        let writable: Session.Writable
        do {
            try await session.refuseDuplicates(plan, state: locked.state)
            // As plan and apply: snapshot references and the catalog, before anything is made.
            try session.checkSnapshots(locked.state)
            _ = try await session.checkCatalog(plan)
            writable = try await session.begin(locked)
        } catch {
            try? await session.releaseReservation(settled)
            throw error
        }
        let drift = writable.drift.count
        guard plan.hasChanges else {
            try await writable.recorder.compact()
            await writable.recorder.close()
            return drift == 0 ? "in sync" : "\(drift) drift item\(drift == 1 ? "" : "s") recorded (addresses), nothing to apply"
        }
        let missing = session.missingEnvironment(for: plan)
        if !missing.isEmpty {
            try await writable.recorder.compact()
            await writable.recorder.close()
            throw CycleFailure(message: "environment variables not set: \(missing.joined(separator: ", "))", terminal: false)
        }
        events?.emit(.plan(plan, operation: "reconcile"))
        let summary = try await session.execute(plan, on: writable, parallelism: parallelism, shared: shared, stop: stop, progress: { event in events?.emit(.action(event)) })
        events?.emit(.summary(summary, operation: "reconcile"))
        let text = "\(drift) drift item\(drift == 1 ? "" : "s"), applied \(plan.actions.count) action\(plan.actions.count == 1 ? "" : "s") "
            + "(\(summary.done.count) done, \(summary.failed.count) failed, \(summary.skipped.count) skipped)"
        if !summary.failed.isEmpty {
            let terminal = summary.failed.contains { $0.kind == .terminal }
            throw CycleFailure(message: text + ": " + summary.failed.map { "\($0.id): \($0.message)" }.joined(separator: "; "), terminal: terminal)
        }
        return text
    }

    /// Whether a cycle's failure is terminal: an action failed terminally, or the cycle itself
    /// met a terminal provider failure (a bad credential at validate, say).
    static func isTerminal(_ error: any Error) -> Bool {
        switch error {
        case let failure as CycleFailure: failure.terminal
        case let error as ProviderError: error.kind == .terminal
        default: false
        }
    }

    static func log(_ output: RunOutput, _ line: String) {
        output.out("\(Timestamp.precise()) \(line)")
    }

    static func describe(_ error: any Error) -> String {
        String(describing: error).replacingOccurrences(of: "\n", with: "; ")
    }
}

/// A reconcile cycle whose actions failed.
struct CycleFailure: Error, CustomStringConvertible {
    var message: String
    var terminal: Bool
    var description: String { message }
}
