import FirmBase

/// The calls in flight and the request rate of one provider: at most `concurrency` calls at
/// once (waiters are served in order), and calls spaced by a token bucket.
public actor ProviderGate {
    public let concurrency: Int?
    private var bucket: TokenBucket?
    private var running = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant

    public init(limits: ProviderLimits) {
        concurrency = limits.concurrency
        start = clock.now
        bucket = limits.requestsPerSecond.map { TokenBucket(rate: $0, now: 0) }
    }

    private var seconds: Double { (clock.now - start).seconds }

    /// Waits for a slot and a token.
    public func enter() async throws {
        if let concurrency, running >= concurrency {
            await withCheckedContinuation { waiters.append($0) }
        } else {
            running += 1
        }
        // A slot is held from here; a cancelled wait for a token gives it back.
        do {
            while var b = bucket {
                let wait = b.take(now: seconds)
                bucket = b
                if wait == 0 { break }
                try await Task.sleep(for: .nanoseconds(Int64(wait * 1e9) + 1))
            }
        } catch {
            leave()
            throw error
        }
    }

    /// Gives the slot to the next waiter, if any.
    public func leave() {
        if waiters.isEmpty {
            running -= 1
        } else {
            waiters.removeFirst().resume()
        }
    }
}
