import Foundation
import FirmBase
import FirmModel

/// `firm state encrypt` and `decrypt` on local files: the snapshot and its backup are written
/// again in the form asked for, and the journal starts empty (its records are in the snapshot).
extension LocalStateBackend {
    public var canSeal: Bool { sealing.seals }

    /// The snapshot, the backup and each journal record after the header.
    public func storedForm() async throws -> StoredForm {
        let paths = self.paths, sealing = self.sealing
        return try await DispatchQueue(label: "firmament.state.form").perform { () throws -> StoredForm in
            var form = StoredForm()
            for file in [paths.snapshot, paths.backup] {
                if let bytes = try FileIO.read(file) { sealing.tally(bytes, into: &form) }
            }
            if let journal = try FileIO.read(paths.journal) {
                for line in journal.split(separator: 0x0A).dropFirst() {
                    if let body = Journal.body(ofLine: line) { sealing.tally(body, into: &form) }
                }
            }
            return form
        }
    }

    /// Writes the snapshot twice, so that the backup (the snapshot before the last) holds the
    /// state in the new form too rather than in the old; the journal is left with its header.
    public func rewriteAll(_ loaded: LoadedState, as form: AtRest, under lease: any StateLease) async throws -> String? {
        let paths = self.paths, state = loaded.state
        let sealing = form == .clear ? LocalSealing(keys: nil) : self.sealing
        try await DispatchQueue(label: "firmament.state.rewrite").perform {
            StateStore.removeLeftovers(paths)
            try StateStore.writeSnapshot(state, paths, sealing: sealing)
            try StateStore.writeSnapshot(state, paths, sealing: sealing)
        }
        return form == .encrypted ? "Copies of the state made before (a CI cache, a backup, a .migrated file) are unchanged: they hold it as it was." : nil
    }

    public func withoutKeys() -> any StateBackend {
        LocalStateBackend(paths: paths, sealing: LocalSealing(keys: nil))
    }
}
