import Foundation

/// A backend whose state can be set aside once it was moved elsewhere.
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
        guard let discarding = source as? any StateDiscarding else {
            throw StateError.unavailable(location: source.location, reason: "this backend's state can't be moved")
        }
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
        let kept = try await discarding.discard(under: sourceLock)
        return Moved(apps: loaded.state.apps.count, serial: loaded.state.serial, kept: kept)
    }
}

extension LocalStateBackend: StateDiscarding {
    /// Renames the snapshot and journal to `…migrated-<time>` beside them (kept, never read).
    public func discard(under lease: any StateLease) async throws -> String? {
        var suffix = ".migrated-" + Timestamp.now().replacingOccurrences(of: ":", with: "")
        var n = 2
        while FileIO.exists(paths.snapshot + suffix) || FileIO.exists(paths.journal + suffix) {
            suffix = suffix.split(separator: "~").first.map(String.init)! + "~\(n)"
            n += 1
        }
        for file in [paths.snapshot, paths.journal] where FileIO.exists(file) {
            if rename(file, file + suffix) != 0 {
                throw StateError.io(location: file, reason: "cannot set the moved state aside: \(FileErrors.errno(errno))")
            }
        }
        unlink(paths.backup)
        return paths.snapshot + suffix
    }
}

extension EtcdStateBackend: StateDiscarding {
    /// Deletes every key of the sandbox but the lock, and its index key, fenced on the lock.
    public func discard(under lease: any StateLease) async throws -> String? {
        guard let lock = lease as? EtcdLock else { throw StateError.io(location: display, reason: "discarded without its lock (a bug in firm)") }
        let result = try await client.txn(compare: [lock.fence],
                                          success: [["request_delete_range": ["key": Etcd.key(keys.root), "range_end": Etcd.key(keys.lock)]],
                                                    ["request_delete_range": ["key": Etcd.key(keys.lock + "\u{0}"), "range_end": Etcd.key(Etcd.rangeEnd(keys.root))]],
                                                    Etcd.delete(keys.index)])
        guard result.succeeded else { throw StateError.conflict(location: display, reason: "this run lost the state's lock") }
        return nil
    }
}
