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
    let send: Sender
    /// Rounds of a call sent again without the ids EC2 named.
    static let maxRounds = 4

    /// One request: an instance, and the operation whose error it becomes.
    private struct Request: Sendable {
        var id: String
        var operation: String
    }

    private let batches: WindowBatcher<Kind, Request, Void>

    init(provider: String, window: Duration = .milliseconds(5), limit: Int = 1000, send: @escaping Sender) {
        self.provider = provider
        self.send = send
        batches = WindowBatcher(window: window, limit: limit) { kind, batch in await Self.run(kind, batch, send) }
    }

    /// `kind` for instance `id`, sent with whatever else arrives within the window. Throws
    /// the ProviderError EC2 gave for this id (or the whole call), with `operation` as its
    /// operation.
    func submit(_ kind: Kind, id: String, operation: String) async throws {
        try await batches.submit(kind, Request(id: id, operation: operation))
    }

    /// Hands each of the batch's requests `i` its result, as its operation's own error.
    private static func finish(_ batch: WindowBatcher<Kind, Request, Void>.Batch, _ requests: [Int], _ error: (any Error)?) {
        for i in requests {
            batch.finish(i, error.map { .failure(own($0, operation: batch.items[i].operation)) } ?? .success(()))
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
    private static func run(_ kind: Kind, _ batch: WindowBatcher<Kind, Request, Void>.Batch, _ send: @escaping Sender) async {
        var remaining = Array(batch.items.indices)
        for _ in 0...maxRounds {
            remaining = remaining.filter(batch.isWaiting)
            guard let first = remaining.first else { return }
            var ids: [String] = []
            var seen: Set<String> = []
            for i in remaining where seen.insert(batch.items[i].id).inserted { ids.append(batch.items[i].id) }
            do {
                try await send(kind.rawValue, ids, batch.items[first].operation)
                finish(batch, remaining, nil)
                return
            } catch let error as ProviderError where isPerInstance(error) && ids.count > 1 {
                let named = named(ids, in: error.message)
                guard !named.isEmpty else { break }
                let refused = remaining.filter { named.contains(batch.items[$0].id) }
                finish(batch, refused, error)
                remaining.removeAll { named.contains(batch.items[$0].id) }
            } catch {
                finish(batch, remaining, error)
                return
            }
        }
        // EC2 named none of the ids, or kept refusing: each alone, so each gets its own answer.
        await withTaskGroup(of: Void.self) { group in
            for i in remaining.filter(batch.isWaiting) {
                group.addTask {
                    do {
                        try await send(kind.rawValue, [batch.items[i].id], batch.items[i].operation)
                        finish(batch, [i], nil)
                    } catch {
                        finish(batch, [i], error)
                    }
                }
            }
        }
    }
}
