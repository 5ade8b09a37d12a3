import FirmBase
import FirmModel
import FirmPlanning

/// What an apply did.
public struct ExecutionSummary: Sendable {
    public var done: [String] = []

    public init() {}
    /// Each failed action: its id, the message, and whether the failure was retryable (its
    /// retries used up) or terminal.
    public var failed: [(id: String, message: String, kind: FailureKind)] = []
    public var skipped: [String] = []
    /// Actions never started because the run was stopped.
    public var notStarted: [String] = []
    /// Set when the state could not be recorded: nothing more is started.
    public var fatal = false
    public var elapsed: Duration = .zero
    /// Set when the results could not be compacted into a new snapshot afterwards; they are
    /// safe in the journal.
    public var saveError: String?

    /// Every action ran and succeeded.
    public var actionsSucceeded: Bool { failed.isEmpty && skipped.isEmpty && notStarted.isEmpty }
    /// Every action succeeded and the state was compacted afterwards.
    public var succeeded: Bool { actionsSucceeded && saveError == nil }
}
