import Foundation
import FirmBase
import FirmModel

extension LocalStateBackend {
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
