import Synchronization
import FirmBase

/// The calls in flight and the request rate of one provider: at most `concurrency` calls at
/// once (waiters are served in order), and calls spaced by a token bucket. A waiter whose task
/// is cancelled leaves at once with CancellationError, holding nothing.
public final class ProviderGate: Sendable {
    public let concurrency: Int?
    private let state: Mutex<State>
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant

    private struct State {
        var bucket: TokenBucket?
        var running = 0
        var nextID = 0
        /// The waiters for a slot, by id; `order` holds their ids from `head` on, oldest first
        /// (ids of waiters that left are skipped).
        var waiters: [Int: CheckedContinuation<Void, any Error>] = [:]
        var order: [Int] = []
        var head = 0

        /// The oldest waiter, taken out.
        mutating func next() -> CheckedContinuation<Void, any Error>? {
            while head < order.count {
                let id = order[head]
                head += 1
                if let waiter = waiters.removeValue(forKey: id) {
                    compact()
                    return waiter
                }
            }
            compact()
            return nil
        }

        private mutating func compact() {
            if head >= 1024 && head * 2 >= order.count {
                order.removeFirst(head)
                head = 0
            } else if head == order.count {
                order.removeAll(keepingCapacity: true)
                head = 0
            }
        }
    }

    public init(limits: ProviderLimits) {
        concurrency = limits.concurrency
        start = clock.now
        state = Mutex(State(bucket: limits.requestsPerSecond.map { TokenBucket(rate: $0, now: 0) }))
    }

    private var seconds: Double { (clock.now - start).seconds }

    /// Waits for a slot and a token. Throws CancellationError, holding nothing, when the task
    /// is cancelled while it waits.
    public func enter() async throws {
        try await slot()
        // A slot is held from here; a cancelled wait for a token gives it back.
        do {
            while true {
                let now = seconds
                let wait = state.withLock { state -> Double in
                    guard var bucket = state.bucket else { return 0 }
                    defer { state.bucket = bucket }
                    return bucket.take(now: now)
                }
                if wait == 0 { break }
                try await Task.sleep(for: .nanoseconds(Int64(wait * 1e9) + 1))
            }
        } catch {
            leave()
            throw error
        }
    }

    /// Takes a slot, waiting in line for one when all are taken.
    private func slot() async throws {
        guard let concurrency else { return }
        let id = state.withLock { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                // Deciding, and joining the line, in one step: a `leave` can't fall between.
                let outcome: Result<Void, any Error>? = state.withLock { state in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if state.running < concurrency {
                        state.running += 1
                        return .success(())
                    }
                    state.waiters[id] = continuation
                    state.order.append(id)
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            // Still in line: leaves it. Already given the slot: keeps it (`enter` goes on).
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume(throwing: CancellationError())
        }
    }

    /// Gives the slot to the next waiter, if any.
    public func leave() {
        guard concurrency != nil else { return }
        let next = state.withLock { state in
            let next = state.next()
            if next == nil { state.running -= 1 }
            return next
        }
        next?.resume()
    }

    /// How many wait for a slot, and how many slots are taken (for tests).
    var waiting: Int { state.withLock { $0.waiters.count } }
    var inUse: Int { state.withLock { $0.running } }
}
