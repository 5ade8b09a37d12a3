import FirmBase
import FirmModel
import FirmPlanning

/// What an apply did.
public struct ExecutionSummary: Sendable {
    public var done: [String] = []
    /// Each failed action, with why.
    public var failed: [FailedAction] = []
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

    public init() {}
}

/// One failed action: its id and why it failed.
public struct FailedAction: Sendable, Equatable {
    public var id: String
    public var failure: ActionFailure

    public init(id: String, failure: ActionFailure) {
        self.id = id
        self.failure = failure
    }

    /// Why, in words.
    public var message: String { failure.description }
    /// Whether the failure was retryable (its retries used up) or terminal.
    public var kind: FailureKind { failure.kind }
}
