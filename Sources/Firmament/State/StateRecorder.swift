import Foundation

/// Records state changes during an apply: each change goes to the journal and is fsynced before
/// `record` returns, so a completed provider action is durable before anything that depends on
/// it starts. Changes that arrive while a write is under way are written together with one
/// fsync (group commit), so the cost per action stays O(1) bytes and well under one fsync.
public actor StateRecorder {
    public private(set) var state: State
    private let paths: StatePaths
    private let file: JournalFile
    private var pending: [[UInt8]] = []
    private var waiters: [CheckedContinuation<Void, any Error>] = []
    private var writing = false
    private var failure: StateError?

    /// Opens the journal for appending after `loaded`, cutting off any torn tail first. A new
    /// state gets a journal with a header.
    public init(_ loaded: StateStore.Loaded, paths: StatePaths) throws(StateError) {
        var state = loaded.state
        if state.lineage.isEmpty { state.lineage = UUIDText.random() }
        self.state = state
        self.paths = paths
        try FileIO.makeDirectory(paths.directory)
        if loaded.journalLength == 0 {
            try FileIO.atomicWrite(Journal.header(lineage: state.lineage, blueprint: state.blueprint), to: paths.journal)
            self.file = try JournalFile(path: paths.journal, truncateTo: nil)
        } else {
            self.file = try JournalFile(path: paths.journal, truncateTo: loaded.journalLength)
        }
    }

    /// For tests: records into `journal` (such as one opened on /dev/full).
    init(_ loaded: StateStore.Loaded, paths: StatePaths, journal: JournalFile) {
        var state = loaded.state
        if state.lineage.isEmpty { state.lineage = UUIDText.random() }
        self.state = state
        self.paths = paths
        self.file = journal
    }

    /// Applies `changes` and returns once they are durable on disk.
    public func record(_ changes: [StateChange]) async throws {
        if let failure { throw failure }
        var bytes: [UInt8] = []
        for change in changes {
            state.serial += 1
            state.apply(change)
            bytes.append(contentsOf: Journal.line(change.json(serial: state.serial)))
        }
        pending.append(bytes)
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            waiters.append(continuation)
            if !writing { startWrite() }
        }
    }

    /// Convenience for one change.
    public func record(_ change: StateChange) async throws {
        try await record([change])
    }

    private func startWrite() {
        writing = true
        let batch = pending.flatMap { $0 }
        let batchWaiters = waiters
        pending = []
        waiters = []
        let file = self.file
        file.queue.async {
            let result = file.appendAndSync(batch)
            for waiter in batchWaiters {
                if let result { waiter.resume(throwing: result) } else { waiter.resume() }
            }
            Task { await self.writeFinished(result) }
        }
    }

    private func writeFinished(_ error: StateError?) {
        if let error, failure == nil { failure = error }
        writing = false
        if !pending.isEmpty { startWrite() }
    }

    /// Writes the state as a snapshot and starts an empty journal. Call when no record is in flight.
    /// The snapshot is written on the journal's queue: its fsyncs never park a thread of
    /// Swift's cooperative pool.
    public func compact() async throws {
        if let failure { throw failure }
        let state = self.state, paths = self.paths, file = self.file
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            file.queue.async {
                do {
                    try StateStore.writeSnapshot(state, paths)
                    file.reopenOnQueue()
                    continuation.resume()
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    /// Closes the journal.
    public func close() {
        file.close()
    }
}

/// The journal file, appended to from one serial queue.
final class JournalFile: @unchecked Sendable {
    let queue = DispatchQueue(label: "firmament.journal")
    private let path: String
    private var fd: Int32

    init(path: String, truncateTo length: Int?) throws(StateError) {
        self.path = path
        fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
        if fd < 0 { throw .io(file: path, reason: "cannot open the journal: \(FileErrors.errno(errno))") }
        if let length {
            if ftruncate(fd, off_t(length)) != 0 {
                throw .io(file: path, reason: "cannot cut the torn tail: \(FileErrors.errno(errno))")
            }
        }
    }

    /// Appends and fsyncs; returns the error, if any. Runs on `queue`.
    func appendAndSync(_ bytes: [UInt8]) -> StateError? {
        do {
            try FileIO.writeAll(fd, bytes, path: path)
        } catch {
            return error
        }
        if fdatasync(fd) != 0 { return .io(file: path, reason: "fsync failed: \(FileErrors.errno(errno))") }
        return nil
    }

    /// Opens the journal again after it was replaced by compaction. Runs on `queue`.
    func reopenOnQueue() {
        Foundation.close(fd)
        fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
    }

    func close() {
        queue.sync {
            if fd >= 0 { Foundation.close(fd) }
            fd = -1
        }
    }
}
