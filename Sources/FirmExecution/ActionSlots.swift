import Synchronization

/// Slots for provider actions shared by several executors: a reconcile replica's concurrent
/// cycles share its `--parallelism` through one of these, so that a busy sandbox can use what
/// an idle one leaves. Waiters are served in the order they came; a cancelled waiter leaves the
/// queue at once.
public final class ActionSlots: Sendable {
    private struct State {
        var free: Int
        var next = 0
        var waiting: [(ticket: Int, continuation: CheckedContinuation<Void, any Error>)] = []
        var cancelled: Set<Int> = []
    }

    private let state: Mutex<State>
    public let count: Int

    public init(_ count: Int) {
        self.count = max(1, count)
        state = Mutex(State(free: max(1, count)))
    }

    /// Takes a slot, waiting for one; throws CancellationError when the task is cancelled first.
    public func acquire() async throws {
        let ticket: Int? = state.withLock { state in
            if state.free > 0 && state.waiting.isEmpty {
                state.free -= 1
                return nil
            }
            state.next += 1
            return state.next
        }
        guard let ticket else { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let cancelled = state.withLock { state in
                    if state.cancelled.remove(ticket) != nil || Task.isCancelled { return true }
                    state.waiting.append((ticket, continuation))
                    return false
                }
                if cancelled { continuation.resume(throwing: CancellationError()) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, any Error>? in
                guard let i = state.waiting.firstIndex(where: { $0.ticket == ticket }) else {
                    state.cancelled.insert(ticket)
                    return nil
                }
                return state.waiting.remove(at: i).continuation
            }
            waiter?.resume(throwing: CancellationError())
        }
    }

    /// Gives a slot back, to the first waiter if there is one.
    public func release() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            if state.waiting.isEmpty {
                state.free = min(count, state.free + 1)
                return nil
            }
            return state.waiting.removeFirst().continuation
        }
        waiter?.resume()
    }
}
