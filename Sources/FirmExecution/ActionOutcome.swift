import FirmBase
import FirmModel
import FirmPlanning

/// What running one action came to.
public enum ActionOutcome: Sendable {
    /// Done, and its records (if any) durable.
    case succeeded(String)
    /// Done, and its records handed to the journal: durable once the runner's `durability`
    /// reaches `serial`. The executor holds the action's dependents, and its "done", until then.
    case recorded(String, serial: Int)
    /// `fatal` when the state itself could not be written.
    /// `kind` says whether the provider's failure was retryable (retries were used up) or
    /// terminal.
    case failed(String, fatal: Bool, kind: FailureKind = .terminal)
}
