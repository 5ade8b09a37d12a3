import Foundation
import Synchronization
import FirmBase

/// Records state changes during an apply: each change goes to the journal and is fsynced before
/// `record` returns, or, with `submit`, before `durability` reaches its serial; so a completed
/// provider action is durable before anything that depends on it starts. Changes that arrive
/// while a write is under way are written together with one fsync (group commit), so the cost
/// per action stays O(1) bytes and well under one fsync. A `GroupCommitJournal` (the local one)
/// does that itself on its own thread; for the others the recorder does it.
public final class StateRecorder: Sendable {
    /// The state as recorded so far, and the batches waiting for a journal that does not
    /// group commits itself. Every method holds the lock only for in-memory work: a
    /// recorder is touched two or three times by every action, and as an actor each touch by
    /// one of a hundred concurrent actions could mean a hop to another thread.
    private struct Inner: ~Copyable {
        var state: State
        var pending: [[(serial: Int, change: StateChange)]] = []
        var writing = false
    }

    private let inner: Mutex<Inner>
    private let journal: any StateJournal
    /// `journal` when it does its own group commits (the local one), found once: a dynamic
    /// cast for every record showed in profiles.
    private let groupCommit: (any GroupCommitJournal)?
    /// How far the journal is durable. `record` waits on it; the executor waits on it for the
    /// results that actions hand in with `submit`.
    public let durability: DurabilityMark

    /// Records into `journal`, opened after `loaded`, whose lineage is set (`withLineage`).
    public init(_ loaded: LoadedState, journal: any StateJournal) {
        self.inner = Mutex(Inner(state: loaded.state))
        self.journal = journal
        self.groupCommit = journal as? any GroupCommitJournal
        self.durability = DurabilityMark(durable: loaded.state.serial)
    }

    // Readers during an apply ask for the part they need. A copy of the whole `state` shares
    // the state's tables; while any such copy is alive, the next change must copy a whole table
    // of 10,000 apps first.

    /// The state as recorded so far.
    public var state: State { inner.withLock { $0.state } }

    /// One app as recorded.
    public func app(_ name: String) -> AppState? { inner.withLock { $0.state.apps[name] } }

    /// The networks as recorded.
    public var networks: [String: NetworkState] { inner.withLock { $0.state.networks } }

    /// One provider's sandbox infrastructure as recorded.
    public func infra(_ provider: String) -> InfraState? { inner.withLock { $0.state.infra[provider] } }

    /// The snapshots as recorded.
    public var snapshots: [String: SnapshotRecord] { inner.withLock { $0.state.snapshots } }

    /// The UUIDs of every recorded VM.
    public func vmUuids() -> Set<String> { inner.withLock { Set($0.state.apps.values.map(\.vmUuid)) } }

    /// Applies `changes` and returns once they are durable.
    public func record(_ changes: [StateChange]) async throws {
        _ = try await durability.wait(for: try submit(changes))
    }

    /// Convenience for one change.
    public func record(_ change: StateChange) async throws {
        try await record([change])
    }

    /// Applies `changes` and hands them to the journal without waiting: they are durable once
    /// `durability` reaches the serial returned. Nothing that depends on them may start
    /// before then. Throws the journal's failure, after which nothing more is taken.
    /// The journal receives batches in serial order: they are handed over under the lock.
    public func submit(_ changes: [StateChange]) throws -> Int {
        if case .failure(let error) = durability.current() { throw error }
        let direct = groupCommit
        let mark = durability
        return try inner.withLock { inner throws(StateError) in
            // Every serial written must pass the state's reader.
            guard inner.state.serial <= State.maxSerial - changes.count else {
                throw .serialExhausted(serial: inner.state.serial, count: changes.count)
            }
            var records: [(serial: Int, change: StateChange)] = []
            records.reserveCapacity(changes.count)
            for change in changes {
                inner.state.serial += 1
                inner.state.apply(change)
                records.append((inner.state.serial, change))
            }
            let serial = inner.state.serial
            if let direct {
                direct.enqueue(records) { error in
                    if let error { mark.fail(error) } else { mark.advance(to: serial) }
                }
            } else {
                inner.pending.append(records)
                if !inner.writing { startWrite(&inner) }
            }
            return serial
        }
    }

    /// Writes everything pending in one append (group commit): one write at a time, in order.
    private func startWrite(_ inner: inout Inner) {
        inner.writing = true
        let batch = inner.pending
        inner.pending = []
        let journal = self.journal, mark = durability
        let last = batch.lazy.compactMap { $0.last?.serial }.max()
        Task {
            do {
                try await journal.append(batch)
                if let last { mark.advance(to: last) }
            } catch {
                mark.fail(error)
            }
            self.writeFinished()
        }
    }

    private func writeFinished() {
        inner.withLock { inner in
            inner.writing = false
            if !inner.pending.isEmpty { startWrite(&inner) }
        }
    }

    /// Writes the state as a snapshot and starts an empty journal. Call when no record is in flight.
    public func compact() async throws {
        if case .failure(let error) = durability.current() { throw error }
        try await journal.compact(state)
    }

    /// Closes the journal.
    public func close() async {
        await journal.close()
    }
}
