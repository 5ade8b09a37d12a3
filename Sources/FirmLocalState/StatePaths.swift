import FirmBase
import FirmModel

/// The files that make up one state: the snapshot, its journal, its lock and its backup.
public struct StatePaths: Sendable, Equatable {
    /// The snapshot, such as `state/lab.state.json`.
    public var snapshot: String

    public init(snapshot: String) { self.snapshot = snapshot }

    /// The default for a sandbox: `state/<sandbox>.state.json` under `home` (SandboxHome's
    /// folder), or under the current folder.
    public static func `default`(for sandbox: String, home: String? = nil) -> StatePaths {
        StatePaths(snapshot: (home.map { $0.hasSuffix("/") ? $0 : $0 + "/" } ?? "") + "state/\(sandbox).state.json")
    }

    /// Append-only records written since the snapshot.
    public var journal: String { snapshot + ".journal" }
    /// The lock file; the lock is an flock on it, released by the OS if the holder dies.
    public var lock: String { snapshot + ".lock" }
    /// The previous good snapshot.
    public var backup: String { snapshot + ".backup" }
    /// The folder holding the files.
    public var directory: String {
        guard let slash = snapshot.lastIndex(of: "/") else { return "." }
        return String(snapshot[..<slash]).isEmpty ? "/" : String(snapshot[..<slash])
    }
}
