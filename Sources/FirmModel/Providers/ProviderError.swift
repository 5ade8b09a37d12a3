import FirmBase

/// A provider call that failed, with what kind of failure it was and the provider's own code.
public struct ProviderError: Error, Equatable, CustomStringConvertible {
    public var provider: String
    public var operation: String
    public var message: String
    public var kind: FailureKind
    /// The provider's own code: EC2's `Code`, a JSON-RPC error code, `Throttling`, `Timeout`.
    public var code: String?

    public init(provider: String, operation: String, message: String, kind: FailureKind = .terminal, code: String? = nil) {
        self.provider = provider
        self.operation = operation
        self.message = message
        self.kind = kind
        self.code = code
    }

    public var description: String {
        "provider \(quoted(provider)): \(operation) failed: \(message)" + (code.map { " [\($0)]" } ?? "")
    }
}

/// Whether trying again can help.
public enum FailureKind: String, Sendable, Equatable {
    /// Throttling, a timeout, a reset connection, a 5xx, a driver restart: tried again, with
    /// backoff, up to the provider's `retries`.
    case retryable
    /// Authentication, an invalid request, not found, a quota: never tried again.
    case terminal
}
