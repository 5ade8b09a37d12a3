import FirmBase
import FirmModel
import FirmPlanning

/// Tries a provider call again after retryable failures: exponential backoff with full jitter
/// (a random wait between 0 and min(cap, base × 2^(attempt−1))), up to `tries` tries in all.
/// Terminal failures, cancellation and state errors are never retried.
public struct RetryPolicy: Sendable {
    public var tries: Int
    public var base: Duration
    public var cap: Duration

    public init(tries: Int, base: Duration = .milliseconds(100), cap: Duration = .seconds(10)) {
        self.tries = max(1, tries)
        self.base = base
        self.cap = cap
    }

    /// The policy for a provider, from its limits (5 tries when none is set).
    public init(_ provider: any CloudProvider) {
        self.init(tries: provider.limits.retries ?? 5)
    }

    /// The longest wait before try `attempt + 1`.
    public func ceiling(after attempt: Int) -> Duration {
        let factor = 1 << min(max(attempt - 1, 0), 20)
        return min(cap, base * factor)
    }

    /// Runs `body` (given the try's number, from 1) until it succeeds, fails terminally, or has
    /// been tried `tries` times. `onRetry` hears of each retry before its wait.
    public func run<T>(_ body: (Int) async throws -> T,
                       onRetry: (_ attempt: Int, _ delay: Duration, _ error: ProviderError) -> Void = { _, _, _ in }) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await body(attempt)
            } catch let error as ProviderError where error.kind == .retryable && attempt < tries {
                let delay = Duration.nanoseconds(Int64.random(in: 0...max(0, ceiling(after: attempt).nanoseconds)))
                onRetry(attempt, delay, error)
                try await Task.sleep(for: delay)
                attempt += 1
            }
        }
    }
}
