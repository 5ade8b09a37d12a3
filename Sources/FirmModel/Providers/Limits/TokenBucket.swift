import FirmBase

/// A token bucket: `rate` tokens a second, holding at most `burst`. Pure arithmetic on the
/// times it is given, so it is tested without a clock.
public struct TokenBucket: Sendable, Equatable {
    public let rate: Double
    public let burst: Double
    private var tokens: Double
    private var last: Double

    /// A full bucket at time `now` (seconds).
    public init(rate: Double, burst: Double? = nil, now: Double) {
        self.rate = rate
        self.burst = max(1, burst ?? rate)
        self.tokens = self.burst
        self.last = now
    }

    /// Takes a token at `now` (seconds), returning 0; or, when none is left, returns how many
    /// seconds to wait before asking again, taking nothing.
    public mutating func take(now: Double) -> Double {
        if now > last {
            tokens = min(burst, tokens + (now - last) * rate)
            last = now
        }
        if tokens >= 1 {
            tokens -= 1
            return 0
        }
        return (1 - tokens) / rate
    }
}
