import FirmBase

/// Where a sandbox's state lives: a snapshot and journal on local disk, or keys on etcd. The
/// roles are separate protocols, all async, and a backend conforms to every one: reading,
/// journaling, locking, the shared VLAN pool, setting a moved state aside and rewriting it
/// sealed or in clear. Nothing outside a backend knows how it stores anything: no byte
/// offsets, descriptors, backup files or flocks. What a backend can't do, it refuses with a
/// `StateError` that says so.
public protocol StateBackend: StateReading, StateJournaling, StateLocking, VLANPooling, StateDiscarding, StateConverting {
    /// The sandbox this state belongs to, where the location says (an etcd prefix holds many
    /// sandboxes' states, each under its name); nil where the location is only a file.
    var namedSandbox: String? { get }
}

/// The VLAN pool shared by every sandbox the backend holds (see VLANPool).
public protocol VLANPooling: Sendable {
    /// The pool as it is now, taking no lock.
    func readVLANPool() async throws -> VLANPool
    /// Reads the pool under its lock, lets `change` edit it, and writes it back durably when it
    /// changed; the lock is held only for this call. What `change` returns is returned.
    func updateVLANPool<T: Sendable>(_ change: @Sendable (inout VLANPool) throws -> T) async throws -> T
}

/// Reads a state.
public protocol StateReading: Sendable {
    /// Where the state is, for messages and saved plans: a path or a URL.
    var location: String { get }
    /// The state, or a new empty one for `blueprint` when there is none. With a blueprint name,
    /// a state that belongs to another blueprint is refused. `writer` says that the caller
    /// holds the lock.
    func load(blueprint: String?, writer: Bool) async throws -> LoadedState
}

/// Appends records to a state's journal, and compacts it.
public protocol StateJournaling: Sendable {
    /// Opens the journal after `loaded` for appending. Call with the lock held.
    func openJournal(after loaded: LoadedState) async throws -> any StateJournal
}

/// An open journal.
public protocol StateJournal: Sendable {
    /// Appends records, each with the serial it produces; durable when this returns. Records
    /// come in groups, one for each `StateRecorder.record` call: a backend that must split a
    /// write splits between groups, never inside one.
    func append(_ groups: [[(serial: Int, change: StateChange)]]) async throws
    /// Replaces the journal by a snapshot of `state`.
    func compact(_ state: State) async throws
    func close() async
}

/// A journal that takes each group of records at once, in the order given, and makes them
/// durable on its own thread, writing together what arrives while a write is under way (group
/// commit). `done` is called once the group is durable, or with the error that stopped it;
/// after a failure every later group fails too, and nothing more is written. The recorder then
/// waits on no other thread: each wait costs a wake-up on Swift's cooperative pool.
public protocol GroupCommitJournal: StateJournal {
    func enqueue(_ group: [(serial: Int, change: StateChange)], done: @escaping @Sendable ((any Error)?) -> Void)
}

/// Locks a state: one writer at a time.
public protocol StateLocking: Sendable {
    /// Takes the lock for `operation`, waiting up to `timeout` (nil: fail at once).
    func lock(operation: String, timeout: Duration?) async throws -> any StateLease
    /// Whether the lock is held and by whom, taking nothing.
    func peek() async -> LockPeek
    /// Breaks the lock `id` if its holder is gone.
    func forceUnlock(id: String) async throws -> ForceUnlockResult
}

/// A held lock.
public protocol StateLease: Sendable {
    var info: LockInfo { get }
    /// Releases the lock; a second call does nothing. It returns at once (commands release in
    /// `defer`): a backend whose release needs I/O starts it, and the lock's expiry covers a
    /// release that never arrives.
    func release()
}

/// What a look at the lock found.
public struct LockPeek: Sendable, Equatable {
    public var held: Bool
    /// Who holds it, when that can be read.
    public var holder: LockInfo?

    public init(held: Bool, holder: LockInfo?) {
        self.held = held
        self.holder = holder
    }
}

/// What `force-unlock` found.
public enum ForceUnlockResult: Sendable, Equatable {
    /// The lock was not held; its leftover holder information was cleared.
    case cleared(LockInfo?)
    /// The lock could never have ended by itself (a lock key on etcd with no lease), so it was
    /// removed; this was its holder.
    case removed(LockInfo)
}

/// A loaded state and what loading it noticed.
public struct LoadedState: Sendable {
    public var state: State
    /// Whether any of the state existed.
    public var existed: Bool
    /// Whether the journal holds records not yet in the snapshot.
    public var journalHasRecords: Bool
    /// Warnings for the user, such as a dropped torn journal tail.
    public var warnings: [String]
    /// Where the backend goes on appending; only the backend reads it.
    public var cursor: JournalCursor

    public init(state: State, existed: Bool, journalHasRecords: Bool = false, warnings: [String] = [], cursor: JournalCursor = JournalCursor()) {
        self.state = state
        self.existed = existed
        self.journalHasRecords = journalHasRecords
        self.warnings = warnings
        self.cursor = cursor
    }
}

extension LoadedState {
    /// This state, with a new lineage when it has none yet (before its first write). The
    /// lineage is chosen before the journal is opened, since the journal's header names it.
    public var withLineage: LoadedState {
        guard state.lineage.isEmpty else { return self }
        var copy = self
        copy.state.lineage = UUIDText.random()
        return copy
    }
}

/// A backend's private note of where its journal's valid records end.
public struct JournalCursor: Sendable, Equatable {
    package let value: Int
    package init(_ value: Int) { self.value = value }
    public init() { value = 0 }
}
