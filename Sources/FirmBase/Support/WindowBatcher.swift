import Synchronization

/// Requests of one key that arrive within a short window, handed to `run` as one batch: the
/// window opens with the first request of a key and closes `window` later, or at once when
/// `limit` requests wait. `run` gives each request its own result through the batch; a request
/// it leaves without one gets `WindowBatcher.Unanswered`.
///
/// A batch runs in a task of its own: cancelling one caller ends its wait at once (one not yet
/// in a batch is left out of it), never the batch the others wait on.
package final class WindowBatcher<Key: Hashable & Sendable, Item: Sendable, Output: Sendable>: Sendable {
    package typealias Run = @Sendable (Key, Batch) async -> Void

    /// The requests of one batch, in the order they came.
    package struct Batch: Sendable {
        package let items: [Item]
        fileprivate let tickets: [Int]
        fileprivate let owner: WindowBatcher

        /// Whether request `i` still waits for its result (its caller was not cancelled, and it
        /// has none yet).
        package func isWaiting(_ i: Int) -> Bool { owner.isWaiting(tickets[i]) }

        /// Hands request `i` its result; a second result for it is ignored.
        package func finish(_ i: Int, _ result: Result<Output, any Error>) { owner.finish(tickets[i], result) }
    }

    /// What a request that `run` left without a result gets.
    package struct Unanswered: Error, CustomStringConvertible {
        package var description: String { "the batch it was sent in gave it no result" }
    }

    let window: Duration
    let limit: Int
    let run: Run

    private struct Waiter: Sendable {
        var ticket: Int
        var item: Item
    }

    private struct State {
        var next = 0
        var pending: [Key: [Waiter]] = [:]
        /// Bumped each time a key's pending requests are taken: a window's timer only sends
        /// the requests it opened for.
        var generation: [Key: Int] = [:]
        var continuations: [Int: CheckedContinuation<Output, any Error>] = [:]
        var cancelled: Set<Int> = []
    }

    private let state = Mutex(State())

    /// What a request's arrival leads to.
    private enum Next {
        case cancelled, nothing, timer(Int), send([Waiter])
    }

    package init(window: Duration, limit: Int, run: @escaping Run) {
        self.window = window
        self.limit = max(1, limit)
        self.run = run
    }

    /// `item`'s result, from the batch of `key` it is sent in.
    package func submit(_ key: Key, _ item: Item) async throws -> Output {
        let ticket = state.withLock { state in
            state.next += 1
            return state.next
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Output, any Error>) in
                let next: Next = state.withLock { state in
                    if state.cancelled.remove(ticket) != nil || Task.isCancelled { return .cancelled }
                    state.continuations[ticket] = continuation
                    state.pending[key, default: []].append(Waiter(ticket: ticket, item: item))
                    let count = state.pending[key]!.count
                    if count >= limit {
                        let batch = state.pending.removeValue(forKey: key) ?? []
                        state.generation[key, default: 0] += 1
                        return .send(batch)
                    }
                    return count == 1 ? .timer(state.generation[key, default: 0]) : .nothing
                }
                switch next {
                case .cancelled:
                    continuation.resume(throwing: CancellationError())
                case .nothing:
                    break
                case .timer(let generation):
                    let window = self.window
                    Task {
                        try? await Task.sleep(for: window)
                        self.flush(key, generation: generation)
                    }
                case .send(let batch):
                    Task { await self.send(key, batch) }
                }
            }
        } onCancel: {
            self.cancel(ticket)
        }
    }

    /// Sends what is pending of `key`, if the window that opened at `generation` is still open.
    private func flush(_ key: Key, generation: Int) {
        let batch: [Waiter]? = state.withLock { state in
            guard state.generation[key, default: 0] == generation else { return nil }
            state.generation[key, default: 0] += 1
            return state.pending.removeValue(forKey: key)
        }
        if let batch, !batch.isEmpty {
            Task { await self.send(key, batch) }
        }
    }

    private func send(_ key: Key, _ waiters: [Waiter]) async {
        let batch = Batch(items: waiters.map(\.item), tickets: waiters.map(\.ticket), owner: self)
        await run(key, batch)
        for ticket in batch.tickets { finish(ticket, .failure(Unanswered())) }
    }

    private func cancel(_ ticket: Int) {
        let continuation: CheckedContinuation<Output, any Error>? = state.withLock { state in
            guard let continuation = state.continuations.removeValue(forKey: ticket) else {
                state.cancelled.insert(ticket)
                return nil
            }
            // Not sent yet: it is left out of its batch.
            for (key, waiters) in state.pending {
                state.pending[key] = waiters.filter { $0.ticket != ticket }
            }
            return continuation
        }
        continuation?.resume(throwing: CancellationError())
    }

    private func isWaiting(_ ticket: Int) -> Bool {
        state.withLock { $0.continuations[ticket] != nil }
    }

    private func finish(_ ticket: Int, _ result: Result<Output, any Error>) {
        state.withLock { $0.continuations.removeValue(forKey: ticket) }?.resume(with: result)
    }
}
