import Synchronization
import FirmBase

/// How far a state's journal is durable: the highest serial whose record, and every record
/// before it, is on disk; or the failure that stopped the journal, after which nothing more
/// becomes durable. The journal's completions advance it, from whatever thread they run on;
/// `StateRecorder.record` and the executor wait on it.
///
/// Serials are handed to the journal in order, and a journal makes them durable in that
/// order, so one number says everything.
public final class DurabilityMark: Sendable {
    private struct Inner {
        var durable: Int
        var failure: (any Error)?
        var waiters: [(target: Int, continuation: CheckedContinuation<Int, any Error>)] = []
        /// The lowest target among `waiters` (Int.max when there are none): most advances
        /// reach none of them, and those return without looking at each.
        var lowest = Int.max
    }

    private let inner: Mutex<Inner>

    init(durable: Int) {
        inner = Mutex(Inner(durable: durable))
    }

    /// The highest durable serial now, or the journal's failure.
    public func current() -> Result<Int, any Error> {
        inner.withLock { i in i.failure.map { .failure($0) } ?? .success(i.durable) }
    }

    /// Whether `serial` is durable now; throws the journal's failure.
    public func isDurable(_ serial: Int) throws -> Bool {
        try current().get() >= serial
    }

    /// Returns once `serial` is durable, with the highest serial durable then, or throws the
    /// failure that stopped the journal. It is not cancelled with its task: a journal write
    /// under way always ends, in success or failure, and what it wrote must be known.
    public func wait(for serial: Int) async throws -> Int {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Int, any Error>) in
            let now: Result<Int, any Error>? = inner.withLock { i in
                if let failure = i.failure { return .failure(failure) }
                if i.durable >= serial { return .success(i.durable) }
                i.waiters.append((serial, continuation))
                i.lowest = min(i.lowest, serial)
                return nil
            }
            if let now { continuation.resume(with: now) }
        }
    }

    /// Records that every serial up to `serial` is durable, and wakes those waiting for them.
    func advance(to serial: Int) {
        let (durable, woken) = inner.withLock { i -> (Int, [CheckedContinuation<Int, any Error>]) in
            if i.failure != nil || serial <= i.durable { return (i.durable, []) }
            i.durable = serial
            if serial < i.lowest { return (serial, []) }
            var woken: [CheckedContinuation<Int, any Error>] = []
            var lowest = Int.max
            i.waiters.removeAll { waiter in
                guard waiter.target <= serial else {
                    lowest = min(lowest, waiter.target)
                    return false
                }
                woken.append(waiter.continuation)
                return true
            }
            i.lowest = lowest
            return (serial, woken)
        }
        for continuation in woken { continuation.resume(returning: durable) }
    }

    /// Records that the journal failed: nothing after the durable serial will be, and every
    /// waiter, now and later, gets `error`.
    func fail(_ error: any Error) {
        let woken = inner.withLock { i -> [CheckedContinuation<Int, any Error>] in
            if i.failure != nil { return [] }
            i.failure = error
            i.lowest = Int.max
            defer { i.waiters = [] }
            return i.waiters.map(\.continuation)
        }
        for continuation in woken { continuation.resume(throwing: error) }
    }
}
