import FirmBase
import FirmModel
import FirmPlanning

/// One line of progress.
public struct ExecutionEvent: Sendable {
    public enum Kind: Sendable {
        case started
        case succeeded(String)
        case failed(String)
        /// A retryable failure; the action is tried again after `delay`.
        case retrying(attempt: Int, of: Int, delay: Duration, message: String)
        case skipped(because: String)
    }

    public var action: PlannedAction
    public var kind: Kind
    public var elapsed: Duration

    public init(action: PlannedAction, kind: Kind, elapsed: Duration) {
        self.action = action
        self.kind = kind
        self.elapsed = elapsed
    }
}
