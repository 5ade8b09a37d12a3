import Foundation
import FirmBase

/// Setting a state aside once it was moved elsewhere; a backend that can't refuses with a
/// `StateError` saying so.
public protocol StateDiscarding: Sendable {
    /// Removes the state (under the lock `lease`, which the caller holds); what was kept, if
    /// anything, for the message.
    func discard(under lease: any StateLease) async throws -> String?
}

/// Moves a sandbox's state from one backend to another (`firm state migrate`): both locks are
/// held; the destination must hold no state; everything is written there, read back and
/// compared; only then is the source set aside. A failure before that leaves the source as it
/// was (and the destination at most partly written, which the next migrate refuses until it is
/// cleared).
public enum StateMigration {
    public struct Moved: Sendable {
        public var apps: Int
        public var serial: Int
        public var kept: String?
    }

    public static func move(from source: any StateBackend, to destination: any StateBackend, blueprint: String?, lockTimeout: Duration?) async throws -> Moved {
        let sourceLock = try await source.lock(operation: "state migrate", timeout: lockTimeout)
        defer { sourceLock.release() }
        let destinationLock = try await destination.lock(operation: "state migrate", timeout: lockTimeout)
        defer { destinationLock.release() }
        let loaded = try await source.load(blueprint: blueprint, writer: true)
        guard loaded.existed else {
            throw StateError.io(location: source.location, reason: "there is no state here to move")
        }
        let there = try await destination.load(blueprint: nil, writer: true)
        if there.existed {
            throw StateError.io(location: destination.location, reason: "the destination already holds a state (blueprint \(quoted(there.state.blueprint)), lineage \(there.state.lineage)); nothing was moved")
        }
        let empty = LoadedState(state: State(lineage: loaded.state.lineage, serial: 0, blueprint: loaded.state.blueprint), existed: false)
        let journal = try await destination.openJournal(after: empty)
        try await journal.compact(loaded.state)
        await journal.close()
        let readBack = try await destination.load(blueprint: loaded.state.blueprint, writer: true).state
        guard readBack == loaded.state else {
            throw StateError.io(location: destination.location, reason: "the state read back differs from what was written; the source is untouched (clear the destination before trying again)")
        }
        let kept = try await source.discard(under: sourceLock)
        return Moved(apps: loaded.state.apps.count, serial: loaded.state.serial, kept: kept)
    }
}
