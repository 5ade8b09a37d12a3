import Synchronization
import FirmBase
import FirmModel

/// One per provider: TerminateInstances, StartInstances and StopInstances asked for by
/// concurrent actions within a short window are sent as one call of each kind, with up to
/// 1,000 `InstanceId.N`, and each caller is handed its own result. The window opens with the
/// first request of a kind and closes `window` later, or at once when `limit` ids are waiting.
///
/// EC2 refuses the whole call when one id is unknown or malformed (`InvalidInstanceID.*`) or
/// in the wrong state (`IncorrectInstanceState`), naming the id(s) in its message: those ids'
/// callers get that error, and the rest are sent again without them, for at most `maxRounds`
/// rounds; after that, or when the message names none of the ids, each remaining id is sent
/// alone, as before batching. Any other error (throttling, a 5xx, a timeout) is every caller's,
/// with its kind and code, so each action retries as it would have.
///
/// A call is sent from a task of its own: cancelling one caller ends its wait at once, never
/// the call the others wait on.
final class EC2Batcher: Sendable {
    enum Kind: String, Sendable, CaseIterable {
        case terminate = "TerminateInstances"
        case start = "StartInstances"
        case stop = "StopInstances"
    }

    /// Sends one call of `action` for `ids` (as `InstanceId.1…N`); throws a ProviderError.
    typealias Sender = @Sendable (_ action: String, _ ids: [String], _ operation: String) async throws -> Void

    let provider: String
    let window: Duration
    let limit: Int
    let send: Sender
    /// Rounds of a call sent again without the ids EC2 named.
    static let maxRounds = 4

    private let state = Mutex(State())

    private struct Waiter: Sendable {
        var ticket: Int
        var id: String
        var operation: String
    }

    private struct State {
        var next = 0
        var pending: [Kind: [Waiter]] = [:]
        /// Bumped each time a kind's pending requests are taken: a window's timer only sends
        /// the requests it opened for.
        var generation: [Kind: Int] = [:]
        var continuations: [Int: CheckedContinuation<Void, any Error>] = [:]
        var cancelled: Set<Int> = []
    }

    init(provider: String, window: Duration = .milliseconds(5), limit: Int = 1000, send: @escaping Sender) {
        self.provider = provider
        self.window = window
        self.limit = max(1, limit)
        self.send = send
    }

    /// `kind` for instance `id`, sent with whatever else arrives within the window. Throws
    /// the ProviderError EC2 gave for this id (or the whole call), with `operation` as its
    /// operation.
    func submit(_ kind: Kind, id: String, operation: String) async throws {
        let ticket = state.withLock { state in
            state.next += 1
            return state.next
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                enum Next { case cancelled, nothing, timer(Int), flush([Waiter]) }
                let next: Next = state.withLock { state in
                    if state.cancelled.remove(ticket) != nil || Task.isCancelled { return .cancelled }
                    state.continuations[ticket] = continuation
                    state.pending[kind, default: []].append(Waiter(ticket: ticket, id: id, operation: operation))
                    let count = state.pending[kind]!.count
                    if count >= limit {
                        let batch = state.pending.removeValue(forKey: kind) ?? []
                        state.generation[kind, default: 0] += 1
                        return .flush(batch)
                    }
                    return count == 1 ? .timer(state.generation[kind, default: 0]) : .nothing
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
                        self.flush(kind, generation: generation)
                    }
                case .flush(let batch):
                    Task { await self.run(kind, batch) }
                }
            }
        } onCancel: {
            self.cancel(ticket)
        }
    }

    /// Sends what is pending of `kind`, if the window that opened at `generation` is still open.
    private func flush(_ kind: Kind, generation: Int) {
        let batch: [Waiter]? = state.withLock { state in
            guard state.generation[kind, default: 0] == generation else { return nil }
            state.generation[kind, default: 0] += 1
            return state.pending.removeValue(forKey: kind)
        }
        if let batch, !batch.isEmpty {
            Task { await self.run(kind, batch) }
        }
    }

    private func cancel(_ ticket: Int) {
        let continuation: CheckedContinuation<Void, any Error>? = state.withLock { state in
            guard let continuation = state.continuations.removeValue(forKey: ticket) else {
                state.cancelled.insert(ticket)
                return nil
            }
            // Not sent yet: it is left out of the call.
            for (kind, waiters) in state.pending {
                state.pending[kind] = waiters.filter { $0.ticket != ticket }
            }
            return continuation
        }
        continuation?.resume(throwing: CancellationError())
    }

    /// Hands each waiter its result (a waiter cancelled meanwhile has had its own).
    private func finish(_ waiters: [Waiter], _ error: (any Error)?) {
        let continuations = state.withLock { state in
            waiters.compactMap { waiter in state.continuations.removeValue(forKey: waiter.ticket).map { (waiter, $0) } }
        }
        for (waiter, continuation) in continuations {
            if let error {
                continuation.resume(throwing: Self.own(error, operation: waiter.operation))
            } else {
                continuation.resume()
            }
        }
    }

    /// The error as the caller's own: its operation, its kind and code kept.
    private static func own(_ error: any Error, operation: String) -> any Error {
        guard var providerError = error as? ProviderError else { return error }
        providerError.operation = operation
        return providerError
    }

    /// Whether EC2 refused the call for some of its ids, naming them.
    static func isPerInstance(_ error: ProviderError) -> Bool {
        guard let code = error.code else { return false }
        return code.hasPrefix("InvalidInstanceID.") || code == "IncorrectInstanceState"
    }

    /// The ids of `ids` that `message` names, as whole words (an id is letters, digits and `-`).
    static func named(_ ids: [String], in message: String) -> Set<String> {
        func isIDCharacter(_ c: Character) -> Bool { c.isASCII && (c.isLetter || c.isNumber || c == "-") }
        var words: Set<Substring> = []
        var start: String.Index?
        for i in message.indices {
            if isIDCharacter(message[i]) {
                if start == nil { start = i }
            } else if let s = start {
                words.insert(message[s..<i])
                start = nil
            }
        }
        if let s = start { words.insert(message[s...]) }
        return Set(ids.filter { words.contains(Substring($0)) })
    }

    /// One batch: one call, then rounds without the ids EC2 named, then each id alone.
    private func run(_ kind: Kind, _ batch: [Waiter]) async {
        var remaining = batch
        for _ in 0...Self.maxRounds {
            remaining = remaining.filter { waiter in state.withLock { $0.continuations[waiter.ticket] != nil } }
            guard !remaining.isEmpty else { return }
            var ids: [String] = []
            var seen: Set<String> = []
            for waiter in remaining where seen.insert(waiter.id).inserted { ids.append(waiter.id) }
            do {
                try await send(kind.rawValue, ids, remaining[0].operation)
                finish(remaining, nil)
                return
            } catch let error as ProviderError where Self.isPerInstance(error) && ids.count > 1 {
                let named = Self.named(ids, in: error.message)
                guard !named.isEmpty else { break }
                finish(remaining.filter { named.contains($0.id) }, error)
                remaining.removeAll { named.contains($0.id) }
            } catch {
                finish(remaining, error)
                return
            }
        }
        // EC2 named none of the ids, or kept refusing: each alone, so each gets its own answer.
        remaining = remaining.filter { waiter in state.withLock { $0.continuations[waiter.ticket] != nil } }
        await withTaskGroup(of: Void.self) { group in
            for waiter in remaining {
                group.addTask {
                    do {
                        try await self.send(kind.rawValue, [waiter.id], waiter.operation)
                        self.finish([waiter], nil)
                    } catch {
                        self.finish([waiter], error)
                    }
                }
            }
        }
    }
}
