import FirmBase
import FirmModel
import FirmPlanning
import FirmExecution
import FirmSession

/// One event of a run's machine-readable stream (`--json`, `--json-into`; docs/events.md).
/// Each carries only what the human output shows: ids, counts, and messages that were redacted
/// where they entered firm (a provider's answers and errors go through CheckedProvider), never
/// attribute values.
public enum RunEvent: Sendable {
    /// The plan about to run: counts by action type.
    case plan(Plan, operation: String)
    /// Recovery settled an interrupted run's intent.
    case recovered(Recovery.Finding)
    /// Refresh found a change made outside Firmament.
    case drift(Refresher.Note)
    /// The state lock was taken, after waiting this long for another holder.
    case lock(operation: String, waited: Duration)
    /// An action started, was retried, finished, failed or was skipped.
    case action(ExecutionEvent)
    /// A warning the human output shows on stderr.
    case warning(String)
    /// A reconcile replica does not keep its interval (the fleet's saturation warning).
    case saturated(period: Duration?, longest: Duration, every: Duration, concurrency: Int)
    /// One reconcile cycle of one sandbox ended.
    case cycle(number: Int, result: String, failed: Bool, terminal: Bool, elapsed: Duration)
    /// The run's end: what an apply or destroy did, and the wall time of its actions.
    case summary(ExecutionSummary, operation: String)
    /// The end of a refresh: how much drift it recorded and what it recovered.
    case refreshed(drift: Int, recovered: Int)

    /// The format's version, the envelope's `firm` member.
    public static let format = "event/1"

    /// The event's `type`.
    public var type: String {
        switch self {
        case .plan: "plan"
        case .recovered: "recovered"
        case .drift: "drift"
        case .lock: "lock"
        case .action(let event):
            switch event.kind {
            case .started: "action_start"
            case .retrying: "action_retry"
            case .succeeded: "action_done"
            case .failed: "action_failed"
            case .skipped: "action_skipped"
            case .awaitingDurability: "action_durability_wait"
            }
        case .warning: "warning"
        case .saturated: "saturated"
        case .cycle: "cycle"
        case .summary, .refreshed: "summary"
        }
    }

    /// Whether the stream carries it: the wait for durability is the timeline's, not the stream's.
    public var isStreamed: Bool {
        if case .action(let event) = self, case .awaitingDurability = event.kind { return false }
        return true
    }

    /// The members after the envelope's.
    var fields: [(String, JSON)] {
        switch self {
        case .plan(let plan, let operation):
            let counts = plan.summary.filter { $0.1 > 0 }.map { ($0.0.rawValue, JSON.int($0.1)) }
            return [("operation", .string(operation)), ("actions", .int(plan.actions.count)), ("counts", .object(JSONObject(counts))),
                    ("summary", .string(PlanRenderer.summaryLine(plan)))]
        case .recovered(let finding):
            return [("target", .string("app.\(finding.intent.app)")), ("message", .string(finding.message))]
        case .drift(let note):
            return [("target", .string("app.\(note.app)")), ("kind", .string(note.kind.rawValue)), ("expected", .string(note.expected)), ("actual", .string(note.actual))]
        case .lock(let operation, let waited):
            return [("operation", .string(operation)), ("waited_ms", Self.millis(waited))]
        case .action(let event):
            var fields: [(String, JSON)] = [("action", .string(event.action.id)), ("action_type", .string(event.action.type.rawValue)),
                                            ("target", .string(event.action.target)), ("provider", .string(event.action.provider)),
                                            ("elapsed_ms", Self.millis(event.elapsed))]
            switch event.kind {
            case .started, .awaitingDurability: break
            case .retrying(let attempt, let tries, let delay, let message):
                fields += [("attempt", .int(attempt)), ("tries", .int(tries)), ("delay_ms", Self.millis(delay)), ("message", .string(message))]
            case .succeeded(let result): fields.append(("result", .string(result)))
            case .failed(let failure): fields.append(("failure", failure.json))
            case .skipped(let cause): fields.append(("because", .string(cause)))
            }
            return fields
        case .warning(let message):
            return [("message", .string(message))]
        case .saturated(let period, let longest, let every, let concurrency):
            return [("period_ms", period.map(Self.millis) ?? .null), ("longest_ms", Self.millis(longest)), ("every_ms", Self.millis(every)),
                    ("concurrency", .int(concurrency))]
        case .cycle(let number, let result, let failed, let terminal, let elapsed):
            return [("cycle", .int(number)), ("succeeded", .bool(!failed)), ("terminal", .bool(terminal)), ("result", .string(result)),
                    ("elapsed_ms", Self.millis(elapsed))]
        case .summary(let s, let operation):
            var fields: [(String, JSON)] = [("operation", .string(operation)), ("succeeded", .bool(s.succeeded)), ("done", .int(s.done.count)),
                                            ("failed", .int(s.failed.count)), ("skipped", .int(s.skipped.count)),
                                            ("not_started", .int(s.notStarted.count)), ("elapsed_ms", Self.millis(s.elapsed))]
            if let saveError = s.saveError { fields.append(("save_error", .string(saveError))) }
            return fields
        case .refreshed(let drift, let recovered):
            return [("operation", "refresh"), ("succeeded", true), ("drift", .int(drift)), ("recovered", .int(recovered))]
        }
    }

    /// Milliseconds, to the microsecond.
    static func millis(_ duration: Duration) -> JSON {
        let micros = duration.nanoseconds / 1000
        let sign = micros < 0 ? "-" : ""
        let whole = abs(micros) / 1000, fraction = abs(micros) % 1000
        guard fraction != 0 else { return .number(sign + String(whole)) }
        var digits = String(fraction)
        digits = String(repeating: "0", count: 3 - digits.count) + digits
        while digits.hasSuffix("0") { digits.removeLast() }
        return .number("\(sign)\(whole).\(digits)")
    }
}
