import Foundation
import Synchronization
import FirmBase
import FirmModel
import FirmEncryption

/// The local backend's journal: `<state>.journal`, one CRC-checked line per record, appended
/// and fsynced on one serial queue, so no thread of Swift's cooperative pool ever waits on
/// the disk (compaction and closing run there too).
struct LocalJournal: GroupCommitJournal {
    let file: JournalFile
    let paths: StatePaths
    let sealing: LocalSealing

    init(file: JournalFile, paths: StatePaths, sealing: LocalSealing = LocalSealing(keys: nil)) {
        self.file = file
        self.paths = paths
        self.sealing = sealing
    }

    /// Opens the journal for appending after `loaded`, cutting off any torn tail first. A new
    /// state gets a journal with a header. Temp files a killed writer left are removed first
    /// (the caller holds the lock, so no live writer's file is touched).
    init(_ loaded: LoadedState, paths: StatePaths, sealing: LocalSealing = LocalSealing(keys: nil)) throws(StateError) {
        StateStore.removeLeftovers(paths)
        try FileIO.makeDirectory(paths.directory)
        if loaded.cursor.value == 0 {
            try FileIO.atomicWrite(Journal.header(lineage: loaded.state.lineage, blueprint: loaded.state.blueprint), to: paths.journal)
            file = try JournalFile(path: paths.journal, truncateTo: nil)
        } else {
            file = try JournalFile(path: paths.journal, truncateTo: loaded.cursor.value)
        }
        file.sealer = try sealing.recordSealer(blueprint: loaded.state.blueprint, lineage: loaded.state.lineage)
        self.paths = paths
        self.sealing = sealing
    }

    /// The groups go through the same group commit as `enqueue`'s (the recorder uses that).
    func append(_ groups: [[(serial: Int, change: StateChange)]]) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            file.enqueue(Array(groups.joined())) { error in
                if let error { continuation.resume(throwing: error) } else { continuation.resume() }
            }
        }
    }

    func enqueue(_ group: [(serial: Int, change: StateChange)], done: @escaping @Sendable ((any Error)?) -> Void) {
        file.enqueue(group, done: done)
    }

    func compact(_ state: State) async throws {
        let paths = self.paths, file = self.file, sealing = self.sealing
        try await file.queue.perform {
            try StateStore.writeSnapshot(state, paths, sealing: sealing)
            file.reopenOnQueue()
        }
    }

    func close() async {
        await file.close()
    }
}

/// The journal file, appended to from one serial queue.
final class JournalFile: @unchecked Sendable {
    let queue = DispatchQueue(label: "firmament.journal")
    private let path: String
    private var fd: Int32
    /// Set before the first write when records are sealed, for the blueprint and lineage each
    /// record's header binds; used only on `queue`.
    var sealer: EnvelopeSealer?

    init(path: String, truncateTo length: Int?) throws(StateError) {
        self.path = path
        fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
        if fd < 0 { throw .io(location: path, reason: "cannot open the journal: \(FileErrors.errno(errno))") }
        if let length {
            if ftruncate(fd, off_t(length)) != 0 {
                throw .io(location: path, reason: "cannot cut the torn tail: \(FileErrors.errno(errno))")
            }
        }
    }

    /// What `enqueue` and the queue share.
    private struct Pending {
        /// Groups taken by `enqueue` and not yet written.
        var groups: [(group: [(serial: Int, change: StateChange)], done: @Sendable ((any Error)?) -> Void)] = []
        var draining = false
        /// The first failed write: every later group fails with it, and nothing more is written.
        var failure: StateError?
    }
    private let pending = Mutex(Pending())

    /// Takes a group for the next write (see `GroupCommitJournal`).
    func enqueue(_ group: [(serial: Int, change: StateChange)], done: @escaping @Sendable ((any Error)?) -> Void) {
        let start = pending.withLock { pending in
            pending.groups.append((group, done))
            defer { pending.draining = true }
            return !pending.draining
        }
        if start { queue.async { self.drain() } }
    }

    /// Writes what is pending, one write and one fsync at a time, until nothing is. Runs on `queue`.
    private func drain() {
        while true {
            let (batch, failure) = pending.withLock { pending in
                let batch = pending.groups
                pending.groups = []
                if batch.isEmpty { pending.draining = false }
                return (batch, pending.failure)
            }
            var error = failure
            if batch.isEmpty { return }
            if error == nil {
                var bytes: [UInt8] = []
                do {
                    for (group, _) in batch {
                        for (serial, change) in group {
                            if let sealer { try Journal.appendLine(change, serial: serial, to: &bytes, sealer: sealer) } else { Journal.appendLine(change, serial: serial, to: &bytes) }
                        }
                    }
                    error = appendAndSync(bytes)
                } catch let failure {
                    error = failure
                }
                if let error { pending.withLock { $0.failure = error } }
            }
            // The last group first: its completion makes the whole batch durable in one step (the
            // recorder's DurabilityMark), so whoever waits for any of it wakes once, not once per group.
            for (_, done) in batch.reversed() { done(error) }
        }
    }

    /// Appends and fsyncs; returns the error, if any. Runs on `queue`.
    private func appendAndSync(_ bytes: [UInt8]) -> StateError? {
        do {
            try FileIO.writeAll(fd, bytes, path: path)
        } catch {
            return error
        }
        if fdatasync(fd) != 0 { return .io(location: path, reason: "fsync failed: \(FileErrors.errno(errno))") }
        return nil
    }

    /// Opens the journal again after it was replaced by compaction. Runs on `queue`.
    func reopenOnQueue() {
        Foundation.close(fd)
        fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
    }

    /// Closes the file after the writes queued before; the caller waits without blocking a
    /// thread of the cooperative pool.
    func close() async {
        await queue.perform {
            if self.fd >= 0 { Foundation.close(self.fd) }
            self.fd = -1
        }
    }
}
