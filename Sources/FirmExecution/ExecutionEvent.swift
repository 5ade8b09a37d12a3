import FirmBase
import FirmModel
import FirmPlanning

/// One step of a run: what progress lines, the event stream and the timeline are made of.
public struct ExecutionEvent: Sendable {
    public enum Kind: Sendable {
        case started
        case succeeded(String)
        /// Failed, and why, whole: a provider's failure keeps its kind, code and provider.
        case failed(ActionFailure)
        /// The provider's call is over and its slot free; its records wait to be durable before
        /// the action is done. Only for an action that has to wait.
        case awaitingDurability
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
