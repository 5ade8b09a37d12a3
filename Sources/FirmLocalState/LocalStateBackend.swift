import Foundation
import FirmBase
import FirmModel

/// The state in local files: a snapshot, a CRC-checked journal, a backup, and an
/// open-file-description lock (see docs/state.md).
public struct LocalStateBackend: StateBackend {
    public let paths: StatePaths
    /// The state key, when set: the snapshot and records are sealed with it.
    public let sealing: LocalSealing

    public init(paths: StatePaths, sealing: LocalSealing = LocalSealing(keys: nil)) {
        self.paths = paths
        self.sealing = sealing
    }

    public var location: String { paths.snapshot }

    /// A path names a file, not a sandbox.
    public var namedSandbox: String? { nil }

    /// Reads the snapshot and the journal (up to a GiB) on a queue of its own, off Swift's
    /// cooperative pool.
    public func load(blueprint: String?, writer: Bool) async throws -> LoadedState {
        let paths = self.paths, sealing = self.sealing
        return try await DispatchQueue(label: "firmament.state.load").perform {
            try StateStore.load(paths, blueprint: blueprint, writer: writer, sealing: sealing)
        }
    }

    /// Opens the journal (which may write and fsync its header, or cut a torn tail) on a queue
    /// of its own, off Swift's cooperative pool.
    public func openJournal(after loaded: LoadedState) async throws -> any StateJournal {
        let paths = self.paths, sealing = self.sealing
        return try await DispatchQueue(label: "firmament.journal.open").perform { try LocalJournal(loaded, paths: paths, sealing: sealing) }
    }

    public func lock(operation: String, timeout: Duration?) async throws -> any StateLease {
        try await StateLock.acquire(paths, operation: operation, timeout: timeout)
    }

    public func peek() async -> LockPeek {
        guard StateLock.isHeld(paths) else { return LockPeek(held: false, holder: nil) }
        let holder: LockInfo?
        do { holder = try StateLock.readInfo(paths.lock) } catch { holder = nil }
        return LockPeek(held: true, holder: holder)
    }

    public func forceUnlock(id: String) async throws -> ForceUnlockResult {
        try StateLock.forceUnlock(paths, id: id)
    }
}

extension StateLock: StateLease {}
