import Synchronization
import FirmBase
import FirmPlanning
import FirmExecution

/// Progress of a long apply on a terminal: one status line rewritten in place (done, running,
/// failed, left, and an estimate of the time to go), at most ten times a second. Only failures
/// scroll past it, and the summary after it. `--verbose`, a plan of at most `threshold`
/// actions, or a stdout that is not a terminal keep one line per action (`Progress`).
final class StatusLine: Sendable {
    /// Plans with more actions than this get a status line on a terminal.
    static let threshold = 50
    private static let interval = Duration.milliseconds(100)

    private struct Counts {
        var total: Int
        var done = 0
        var running = 0
        var failed = 0
        var skipped = 0
        var lastDraw: ContinuousClock.Instant?
        var elapsed: Duration = .zero
        var finished = false
    }

    private let counts: Mutex<Counts>
    private let verb: String

    init(total: Int, destroy: Bool) {
        counts = Mutex(Counts(total: total))
        verb = destroy ? "Destroying" : "Applying"
    }

    /// Whether an apply of `plan` shows a status line.
    static func wanted(_ plan: Plan, verbose: Bool, human: Bool) -> Bool {
        human && !verbose && plan.actions.count > threshold && Terminal.stdoutIsTerminal
    }

    func hear(_ event: ExecutionEvent) {
        let now = ContinuousClock.now
        let (line, scrolling): (String?, String?) = counts.withLock { c in
            guard !c.finished else { return (nil, nil) }
            c.elapsed = event.elapsed
            var scrolling: String?
            switch event.kind {
            case .started: c.running += 1
            case .succeeded: c.running -= 1; c.done += 1
            case .failed(let failure):
                c.running -= 1
                c.failed += 1
                scrolling = Progress.failedLine(event, failure)
            case .skipped: c.skipped += 1
            case .retrying, .awaitingDurability: break
            }
            guard scrolling != nil || c.lastDraw.map({ now - $0 >= Self.interval }) ?? true else { return (nil, nil) }
            c.lastDraw = now
            return (Self.text(c, verb), scrolling)
        }
        if let line { Terminal.status(line, scrolling: scrolling) }
    }

    /// Erases the line before the summary; once.
    func finish() {
        let first = counts.withLock { c in
            defer { c.finished = true }
            return !c.finished
        }
        if first { Terminal.clearStatus() }
    }

    /// `[  12.3s] Applying: 1200 of 4000 done, 10 running, 0 failed, 2790 left, about 25s to go`
    private static func text(_ c: Counts, _ verb: String) -> String {
        let left = max(0, c.total - c.done - c.failed - c.skipped - c.running)
        var text = "\(verb): \(c.done) of \(c.total) done, \(c.running) running, \(c.failed) failed"
        if c.skipped > 0 { text += ", \(c.skipped) skipped" }
        text += ", \(left) left"
        if c.done > 0, left + c.running > 0 {
            let rate = Double(c.done) / max(c.elapsed / .seconds(1), 0.001)
            text += ", about \(DurationText.format(.seconds(Double(left + c.running) / rate))) to go"
        }
        return Progress.line(c.elapsed, text)
    }
}
