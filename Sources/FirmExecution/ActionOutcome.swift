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
    /// Failed, and why, whole: a provider's error keeps its kind, code and provider.
    case failed(ActionFailure)
}
