/// The files that make up one state: the snapshot, its journal, its lock and its backup.
public struct StatePaths: Sendable, Equatable {
    /// The snapshot, such as `state/lab.state.json`.
    public var snapshot: String

    public init(snapshot: String) { self.snapshot = snapshot }

    /// The default for a blueprint: `state/<name>.state.json` under the current folder.
    public static func `default`(for blueprint: String) -> StatePaths {
        StatePaths(snapshot: "state/\(blueprint).state.json")
    }

    /// `--state PATH` when given, else the default for the blueprint.
    public static func resolve(_ statePath: String?, blueprint: String) -> StatePaths {
        statePath.map(StatePaths.init(snapshot:)) ?? .default(for: blueprint)
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
