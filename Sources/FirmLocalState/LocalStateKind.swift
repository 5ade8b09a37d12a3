import Foundation
import FirmBase
import FirmModel

/// State in local files: a path given with `--state`, or `state/<sandbox>.state.json` in the
/// sandbox's home. The registry's fallback kind: it takes every plain path.
public struct LocalStateKind: StateBackendKind {
    public let name = "local"

    public init() {}

    /// Plain paths are given to this kind by the registry when no other kind claims them.
    public func claims(_ location: String) -> Bool { false }

    public func open(_ location: String?, sandbox: String, home: String?, options: StateOptions) throws(StateError) -> any StateBackend {
        let paths = location.map(StatePaths.init(snapshot:)) ?? .default(for: sandbox, home: home)
        return LocalStateBackend(paths: paths, sealing: try LocalSealing.fromEnvironment(location: paths.snapshot))
    }

    /// A state file's folder.
    public func catalogLocation(of location: String) -> String {
        (location as NSString).deletingLastPathComponent
    }

    /// One `<sandbox>.state.json` each, in `location` (a folder).
    public func sandboxes(at location: String, options: StateOptions) async throws -> [(name: String, backend: any StateBackend)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: location)) ?? []
        var found: [(name: String, backend: any StateBackend)] = []
        let sealing = try LocalSealing.fromEnvironment(location: location)
        for file in names.sorted() where file.hasSuffix(".state.json") {
            let name = String(file.dropLast(".state.json".count))
            guard Name.isValid(name) else { continue }
            found.append((name, LocalStateBackend(paths: StatePaths(snapshot: location + "/" + file), sealing: sealing)))
        }
        return found
    }
}
