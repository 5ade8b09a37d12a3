import Firmament

/// Progress lines: one when an action starts and one when it ends, with the elapsed time. A
/// start line reaches stdout within 20 ms, or with the next end line (see `Terminal.progress`).
enum Progress {
    @Sendable static func print(_ event: ExecutionEvent) {
        let time = "[" + DurationText.format(event.elapsed).leftPadded(to: 7) + "]"
        let what = PlanRenderer.line(event.action)
        switch event.kind {
        case .started: Terminal.progress("\(time) start   \(what)", now: false)
        case .succeeded(let detail): Terminal.progress("\(time) done    \(what): \(detail)", now: true)
        case .failed(let message): Terminal.progress("\(time) FAILED  \(what): \(message)", now: true)
        case .retrying(let attempt, let tries, let delay, let message):
            Terminal.progress("\(time) retry   \(what) (try \(attempt + 1) of \(tries) in \(DurationText.format(delay))): \(message)", now: true)
        case .skipped(let cause): Terminal.progress("\(time) skipped \(what) (\(cause) failed)", now: true)
        }
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
