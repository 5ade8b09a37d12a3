/// Maps `--state` to a backend: a path names local files. (A URL such as `etcd://…` will name
/// another backend; none is built yet, so a URL is refused rather than taken for a path.)
public enum StateBackends {
    /// `state` is `--state` as given; without it, `state/<sandbox>.state.json` in `home` (by
    /// default the current folder).
    public static func resolve(_ state: String?, sandbox: String, home: String? = nil) throws(StateError) -> any StateBackend {
        if let state, let scheme = state.range(of: "://").map({ String(state[..<$0.lowerBound]) }), !scheme.contains("/") {
            throw .unavailable(location: state, reason: "no state backend for \(quoted(scheme + "://")) URLs in this firm; give a file path")
        }
        return LocalStateBackend(paths: state.map(StatePaths.init(snapshot:)) ?? .default(for: sandbox, home: home))
    }
}
