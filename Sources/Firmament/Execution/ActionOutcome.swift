/// What running one action came to.
public enum ActionOutcome: Sendable {
    case succeeded(String)
    /// `fatal` when the state itself could not be written.
    /// `kind` says whether the provider's failure was retryable (retries were used up) or
    /// terminal.
    case failed(String, fatal: Bool, kind: FailureKind = .terminal)
}
