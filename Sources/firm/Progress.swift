import Firmament
import FirmBase
import FirmModel
import FirmPlanning
import FirmExecution
import FirmSession
import FirmDrift


/// Progress lines: one when an action starts and one when it ends, with the elapsed time. End
/// lines are handed to the terminal's queue at the end of an executor's round (`roundEnd`), at
/// most once a millisecond, and stdout is polled there before anything new starts, so that a
/// closed stdout stops the apply within a millisecond of starts; any line within 20 ms (see
/// `Terminal.progress` and `flushRound`). Nothing here waits for stdout's reader.
enum Progress {
    /// `[  1.20s] text`: a progress line at `elapsed` into the run.
    static func line(_ elapsed: Duration, _ text: String) -> String {
        "[" + DurationText.format(elapsed).leftPadded(to: 7) + "] " + text
    }

    /// The line that says `event`'s action failed: the one line a status line lets scroll past.
    static func failedLine(_ event: ExecutionEvent, _ failure: ActionFailure) -> String {
        line(event.elapsed, "FAILED  \(PlanRenderer.line(event.action)): \(failure.description)")
    }

    @Sendable static func print(_ event: ExecutionEvent) {
        let what = PlanRenderer.line(event.action)
        switch event.kind {
        case .started: Terminal.progress(line(event.elapsed, "start   \(what)"), .soon)
        case .succeeded(let detail): Terminal.progress(line(event.elapsed, "done    \(what): \(detail)"), .roundEnd)
        case .failed(let failure): Terminal.progress(failedLine(event, failure), .roundEnd)
        case .awaitingDurability: break
        case .retrying(let attempt, let tries, let delay, let message):
            Terminal.progress(line(event.elapsed, "retry   \(what) (try \(attempt + 1) of \(tries) in \(DurationText.format(delay))): \(message)"), .now)
        case .skipped(let cause): Terminal.progress(line(event.elapsed, "skipped \(what) (\(cause) failed)"), .roundEnd)
        }
    }

    /// Has the lines of the rounds since the last write written, if a millisecond has passed: a
    /// group commit ends several actions in one round, and rounds come thousands a second, so
    /// one write for them all costs the reader one wake-up instead of one for each.
    @Sendable static func roundEnd() {
        Terminal.flushRound()
    }

    static func summary(_ s: ExecutionSummary, destroy: Bool) -> String {
        var text = "\n\(destroy ? "Destroy" : "Apply") \(s.actionsSucceeded ? "complete" : "incomplete") in \(DurationText.format(s.elapsed)): "
            + "\(s.done.count) done, \(s.failed.count) failed, \(s.skipped.count) skipped"
        if !s.notStarted.isEmpty { text += ", \(s.notStarted.count) not started" }
        text += "."
        if !s.failed.isEmpty {
            text += "\nFailed:\n" + s.failed.map { "  \($0.id) (\($0.kind.rawValue)): \($0.message)" }.joined(separator: "\n")
            text += "\nRun `firm apply` again to retry what failed and what it skipped."
        }
        return text
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
