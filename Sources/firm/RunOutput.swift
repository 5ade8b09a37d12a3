import FirmBase
import FirmPlanning
import FirmExecution
import FirmSession
import FirmEvents

/// Where a run's output goes: the human text on stdout (unless `--json`), the event stream
/// (`--json` on stdout, `--json-into FILE`), the status line on a terminal, and the timeline
/// (`apply --timeline FILE`). Commands write through it; `close` ends the event file and
/// writes the timeline.
struct RunOutput: Sendable {
    /// Whether the human text is shown: not with `--json`, whose stream is stdout's.
    let human: Bool
    private(set) var events: EventStream?
    let file: EventFile?
    /// `apply --timeline FILE`: the timeline, and where it goes.
    let timeline: (Timeline, path: String)?
    /// Set by `showStatus` for a long apply on a terminal.
    private(set) var status: StatusLine?

    /// The output `args` ask for; `sandbox` names the events' sandbox.
    init(_ args: Arguments, _ help: CommandHelp, sandbox: String?) throws {
        let json = args.flag("--json")
        let into = args.values["--json-into"]
        if json && into != nil {
            throw UsageError(message: "--json writes the event stream to stdout and --json-into to a file; pass one of them", command: help)
        }
        human = !json
        file = try into.map { path throws(EventFileError) in try EventFile(path: path) }
        if json {
            events = EventStream(sandbox: sandbox) { Terminal.jsonBytes($0) }
        } else if let file {
            events = EventStream(sandbox: sandbox) { file.write($0) }
        } else {
            events = nil
        }
        timeline = args.values["--timeline"].map { (Timeline(), $0) }
    }

    /// The events are about `sandbox` from now on.
    mutating func about(_ sandbox: String) {
        events = events?.about(sandbox)
    }

    /// Human text on stdout, when it is shown.
    func out(_ text: String, terminator: String = "\n") {
        if human { Terminal.out(text, terminator: terminator) }
    }

    func emit(_ event: RunEvent) {
        events?.emit(event)
    }

    /// A warning: on stderr, and in the stream.
    func warn(_ message: String) {
        Terminal.err("warning: \(message)")
        events?.emit(.warning(message))
    }

    /// What settling the state found: the lock's wait, recovery's findings and refresh's drift.
    func settled(operation: String, lockWaited: Duration, recovered: [Recovery.Finding], drift: [Refresher.Note]) {
        events?.settled(operation: operation, lockWaited: lockWaited, recovered: recovered, drift: drift)
    }

    /// Shows a status line instead of a line per action, for a long apply on a terminal.
    mutating func showStatus(_ plan: Plan, verbose: Bool, destroy: Bool) {
        if StatusLine.wanted(plan, verbose: verbose, human: human) { status = StatusLine(total: plan.actions.count, destroy: destroy) }
    }

    /// The executor's progress sink: lines or the status line, events, the timeline.
    var progress: @Sendable (ExecutionEvent) -> Void {
        let human = self.human, events = self.events, timeline = self.timeline?.0, status = self.status
        return { event in
            timeline?.record(event)
            events?.emit(.action(event))
            if let status { status.hear(event) } else if human { Progress.print(event) }
        }
    }

    /// Ends the run's output: the status line, the timeline (`wall` is the summary's elapsed
    /// time), the event file. A file that could not be written is said on stderr, and fails the run.
    func close(wall: Duration? = nil) async -> Bool {
        status?.finish()
        var ok = true
        if let (timeline, path) = timeline, let wall {
            do { try await timeline.write(to: path, wall: wall) } catch {
                Terminal.err("firm: \(error)")
                ok = false
            }
        }
        if let file, let error = await file.close() {
            Terminal.err("firm: \(error)")
            ok = false
        }
        return ok
    }
}
