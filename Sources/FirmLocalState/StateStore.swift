import Foundation
import FirmBase
import FirmModel

/// Reads and writes a state: the snapshot file plus the journal of changes since.
public enum StateStore {
    /// A loaded state: the backend-neutral form, whose cursor is the journal's valid length.
    public typealias Loaded = LoadedState

    /// Decodes a snapshot the general way: through its tree, reporting every problem with its
    /// position. StateFastPath reads the common case without the tree.
    private static func decode(_ bytes: [UInt8], _ paths: StatePaths) throws(StateError) -> State {
        let node: JSONNode
        do { node = try JSONReader.parse(bytes) } catch {
            throw corrupt(paths, file: paths.snapshot, "\(error.position): \(error.message)")
        }
        if let version = node.member("version")?.plain.intValue, version > State.formatVersion {
            throw .newer(location: paths.snapshot, version: version)
        }
        var context = DecodingContext(file: paths.snapshot)
        guard let decoded = State.decode(node, &context), context.diagnostics.isEmpty else {
            throw corrupt(paths, file: paths.snapshot, context.diagnostics.map(\.description).joined(separator: "\n  "))
        }
        return decoded
    }

    /// Loads the state at `paths`, or a new empty one for `blueprint` when there is none. With a
    /// blueprint name, a state that belongs to another blueprint is refused. `writer` says that
    /// the caller holds the lock (so a torn tail can only be a crash's).
    public static func load(_ paths: StatePaths, blueprint: String?, writer: Bool = false, sealing: LocalSealing = LocalSealing(keys: nil)) throws(StateError) -> Loaded {
        var state: State?
        if var bytes = try FileIO.read(paths.snapshot) {
            let opened = try sealing.open(bytes, file: paths.snapshot, kind: "snapshot")
            if let opened { bytes = opened.plaintext }
            if let fast = StateFastPath.read(bytes, file: paths.snapshot) { state = fast } else { state = try decode(bytes, paths) }
            if let envelope = opened?.envelope, let state, envelope.lineage != state.lineage || envelope.serial != state.serial || envelope.sandbox != state.blueprint {
                throw corrupt(paths, file: paths.snapshot, "the encrypted snapshot's header (lineage \(envelope.lineage), serial \(envelope.serial)) does not match the state inside it")
            }
        }
        var loaded = Loaded(state: state ?? State.new(blueprint: blueprint ?? ""), existed: state != nil)
        let journalBytes = try FileIO.read(paths.journal)
        let parsed: Journal.Contents?
        do { parsed = try journalBytes.flatMap { bytes throws(StateError) in try Journal.parse(bytes, file: paths.journal, sealing: sealing) } } catch {
            if case .corrupt(let file, let reason) = error { throw corrupt(paths, file: file, reason) }
            throw error
        }
        if let journal = parsed {
            if state == nil {
                loaded.state = State(lineage: journal.lineage, blueprint: journal.blueprint)
            } else if journal.lineage != loaded.state.lineage {
                throw corrupt(paths, file: paths.journal, "the journal belongs to lineage \(journal.lineage), the snapshot to \(loaded.state.lineage)")
            }
            loaded.existed = true
            loaded.cursor = JournalCursor(journal.validLength)
            for (serial, change) in journal.records where serial > loaded.state.serial {
                loaded.state.apply(change)
                loaded.state.serial = serial
                loaded.journalHasRecords = true
            }
            // A reader that does not hold the lock may see the last record of a running apply
            // half written: that is no damage, so it is ignored quietly.
            if let tail = journal.droppedTail, writer || !StateLock.isHeld(paths) { loaded.warnings.append(tail) }
        }
        // The snapshot's apps were checked, with positions, as it was decoded; records replayed
        // from the journal are checked here.
        if loaded.journalHasRecords, let problem = loaded.state.sharedVM() {
            throw corrupt(paths, file: paths.journal, problem)
        }
        if let blueprint, loaded.state.blueprint != blueprint {
            throw .wrongBlueprint(location: paths.snapshot, expected: blueprint, found: loaded.state.blueprint)
        }
        return loaded
    }

    /// A corrupt-state error whose advice names only files that exist.
    static func corrupt(_ paths: StatePaths, file: String, _ reason: String) -> StateError {
        var advice: String
        if FileIO.exists(paths.backup) {
            advice = "the previous good snapshot is \(paths.backup): move \(file) away"
            if file == paths.snapshot { advice += " and copy the backup to \(paths.snapshot)" }
            advice += ", then run `firm plan`; changes since that snapshot are lost from the state (`firm drift` shows any VM that is then unmanaged)"
        } else {
            advice = "there is no backup yet (one is kept from the first compaction on): fix the file by hand, or move it away to start from an empty state; `firm drift` then shows any VM the state no longer knows"
        }
        return .corrupt(location: file, reason: reason + "\n(" + advice + ")")
    }

    /// Writes `state` as the new snapshot (keeping the old one as `.backup`) and starts an empty
    /// journal. A crash between the two steps is safe: replay skips records the snapshot holds.
    public static func writeSnapshot(_ state: State, _ paths: StatePaths, sealing: LocalSealing = LocalSealing(keys: nil)) throws(StateError) {
        try FileIO.makeDirectory(paths.directory)
        if FileIO.exists(paths.snapshot) {
            unlink(paths.backup)
            link(paths.snapshot, paths.backup)
        }
        // Compact: the snapshot is for machines (`firm show` is for people), and indentation
        // would be a third of its size.
        try FileIO.atomicWrite(try sealing.seal(state.compactBytes, kind: "snapshot", blueprint: state.blueprint, lineage: state.lineage, serial: state.serial),
                               to: paths.snapshot)
        try FileIO.atomicWrite(Journal.header(lineage: state.lineage, blueprint: state.blueprint), to: paths.journal)
    }

    /// Removes temp files that a process killed mid-write left beside the state. Call with the
    /// lock held, so that no live writer's temp file is touched.
    public static func removeLeftovers(_ paths: StatePaths) {
        let dir = paths.directory
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return }
        let base = (paths.snapshot as NSString).lastPathComponent
        for name in names where name.hasPrefix(base + ".tmp-") || name.hasPrefix(base + ".journal.tmp-") {
            unlink(dir + "/" + name)
        }
    }
}
