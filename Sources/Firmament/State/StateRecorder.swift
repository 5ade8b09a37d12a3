import Foundation

/// Records state changes during an apply: each change goes to the journal and is fsynced before
/// `record` returns, so a completed provider action is durable before anything that depends on
/// it starts. Changes that arrive while a write is under way are written together with one
/// fsync (group commit), so the cost per action stays O(1) bytes and well under one fsync. A
/// `GroupCommitJournal` (the local one) does that itself on its own thread; for the others the
/// recorder does it.
public actor StateRecorder {
    public private(set) var state: State
    private let journal: any StateJournal
    private var pending: [[(serial: Int, change: StateChange)]] = []
    private var waiters: [CheckedContinuation<Void, any Error>] = []
    private var writing = false
    private var failure: (any Error)?

    /// Records into `journal`, opened after `loaded`, whose lineage is set (`withLineage`).
    public init(_ loaded: LoadedState, journal: any StateJournal) {
        self.state = loaded.state
        self.journal = journal
    }

    /// Records into the local journal beside `paths`, opened after `loaded`.
    public init(_ loaded: LoadedState, paths: StatePaths) throws(StateError) {
        let opened = loaded.withLineage
        self.init(opened, journal: try LocalJournal(opened, paths: paths))
    }

    /// For tests: records into `journal` (such as one opened on /dev/full).
    init(_ loaded: LoadedState, paths: StatePaths, journal: JournalFile) {
        self.init(loaded.withLineage, journal: LocalJournal(file: journal, paths: paths))
    }

    // Readers during an apply ask for the part they need. Reading `state` from outside the
    // actor hands out a copy that shares the state's tables; while any such copy is alive, the
    // next change must copy a whole table of 10,000 apps first.

    /// One app as recorded.
    public func app(_ name: String) -> AppState? { state.apps[name] }

    /// The networks as recorded.
    public var networks: [String: NetworkState] { state.networks }

    /// One provider's sandbox infrastructure as recorded.
    public func infra(_ provider: String) -> InfraState? { state.infra[provider] }

    /// The UUIDs of every recorded VM.
    public func vmUuids() -> Set<String> { Set(state.apps.values.map(\.vmUuid)) }

    /// Applies `changes` and returns once they are durable.
    public func record(_ changes: [StateChange]) async throws {
        if let failure { throw failure }
        var records: [(serial: Int, change: StateChange)] = []
        for change in changes {
            state.serial += 1
            state.apply(change)
            records.append((state.serial, change))
        }
        if let direct = journal as? any GroupCommitJournal {
            do {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                    direct.enqueue(records) { error in
                        if let error { continuation.resume(throwing: error) } else { continuation.resume() }
                    }
                }
            } catch {
                // As on the other path: a state whose journal failed is not compacted either.
                if failure == nil { failure = error }
                throw error
            }
            return
        }
        pending.append(records)
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            waiters.append(continuation)
            if !writing { startWrite() }
        }
    }

    /// Convenience for one change.
    public func record(_ change: StateChange) async throws {
        try await record([change])
    }

    /// Writes everything pending in one append (group commit): one write at a time, in order.
    private func startWrite() {
        writing = true
        let batch = pending
        let batchWaiters = waiters
        pending = []
        waiters = []
        let journal = self.journal
        Task {
            let error: (any Error)?
            do {
                try await journal.append(batch)
                error = nil
            } catch let e {
                error = e
            }
            for waiter in batchWaiters {
                if let error { waiter.resume(throwing: error) } else { waiter.resume() }
            }
            self.writeFinished(error)
        }
    }

    private func writeFinished(_ error: (any Error)?) {
        if let error, failure == nil { failure = error }
        writing = false
        if !pending.isEmpty { startWrite() }
    }

    /// Writes the state as a snapshot and starts an empty journal. Call when no record is in flight.
    public func compact() async throws {
        if let failure { throw failure }
        try await journal.compact(state)
    }

    /// Closes the journal.
    public func close() async {
        await journal.close()
    }
}
