import Foundation
@testable import FirmBase
@testable import FirmModel
@testable import FirmPlanning
@testable import FirmExecution
@testable import FirmSimulated
@testable import FirmProcess
@testable import FirmEC2
@testable import FirmLocalState
@testable import FirmEtcdState
@testable import FirmSession
@testable import FirmDrift
@testable import Firmament

/// A state held in memory: a second backend, which proves that Session, the recorder and
/// recovery need nothing of the local files.
final class MemoryStateBackend: StateBackend, @unchecked Sendable {
    private let lock = NSLock()
    private var snapshot: State?
    private var journal: [(serial: Int, change: StateChange)] = []
    private var holder: LockInfo?
    private var pool = VLANPool()
    private(set) var appends = 0
    private(set) var compactions = 0

    let location = "memory://test"
    let namedSandbox: String? = nil

    func load(blueprint: String?, writer: Bool) async throws -> LoadedState {
        let (snapshot, journal) = lock.withLock { (self.snapshot, self.journal) }
        var state = snapshot ?? State.new(blueprint: blueprint ?? "")
        for (serial, change) in journal where serial > state.serial {
            state.apply(change)
            state.serial = serial
        }
        if let blueprint, snapshot != nil || !journal.isEmpty, state.blueprint != blueprint {
            throw StateError.wrongBlueprint(location: location, expected: blueprint, found: state.blueprint)
        }
        return LoadedState(state: state, existed: snapshot != nil || !journal.isEmpty, journalHasRecords: !journal.isEmpty)
    }

    func openJournal(after loaded: LoadedState) async throws -> any StateJournal {
        lock.withLock {
            if snapshot == nil && journal.isEmpty { snapshot = State(lineage: loaded.state.lineage, blueprint: loaded.state.blueprint) }
        }
        return Journal(backend: self)
    }

    struct Journal: StateJournal {
        let backend: MemoryStateBackend
        func append(_ groups: [[(serial: Int, change: StateChange)]]) async throws {
            backend.lock.withLock {
                backend.journal += groups.joined()
                backend.appends += 1
            }
        }
        func compact(_ state: State) async throws {
            backend.lock.withLock {
                backend.snapshot = state
                backend.journal = []
                backend.compactions += 1
            }
        }
        func close() async {}
    }

    final class Lease: StateLease, @unchecked Sendable {
        let info: LockInfo
        let backend: MemoryStateBackend
        init(info: LockInfo, backend: MemoryStateBackend) {
            self.info = info
            self.backend = backend
        }
        func release() {
            backend.lock.withLock { if backend.holder?.id == info.id { backend.holder = nil } }
        }
    }

    func lock(operation: String, timeout: Duration?) async throws -> any StateLease {
        let info = LockInfo(id: UUIDText.random(), operation: operation, who: "test@memory", pid: getpid(), created: Timestamp.now(), version: "test")
        let taken: LockInfo? = lock.withLock {
            if let holder { return holder }
            holder = info
            return nil
        }
        if let taken { throw StateError.locked(location: location, holder: taken) }
        return Lease(info: info, backend: self)
    }

    func peek() async -> LockPeek {
        let holder = lock.withLock { self.holder }
        return LockPeek(held: holder != nil, holder: holder)
    }

    func forceUnlock(id: String) async throws -> ForceUnlockResult {
        .cleared(nil)
    }

    func readVLANPool() async throws -> VLANPool {
        lock.withLock { pool }
    }

    func updateVLANPool<T: Sendable>(_ change: @Sendable (inout VLANPool) throws -> T) async throws -> T {
        try lock.withLock { try change(&pool) }
    }

    /// A state in memory is never moved elsewhere.
    func discard(under lease: any StateLease) async throws -> String? {
        throw StateError.unavailable(location: location, reason: "a state in memory can't be set aside")
    }

    /// A state in memory is never at rest: nothing to encrypt.
    var canSeal: Bool { false }
    func storedForm() async throws -> StoredForm { StoredForm() }
    func rewriteAll(_ loaded: LoadedState, as form: AtRest, under lease: any StateLease) async throws -> String? {
        throw StateError.unavailable(location: location, reason: "a state in memory is not stored at rest")
    }
    func withoutKeys() -> any StateBackend { self }

    /// The open intents as the backend holds them now (snapshot plus journal).
    func intents() async throws -> [String: Intent] {
        try await load(blueprint: nil, writer: false).state.intents
    }
}
