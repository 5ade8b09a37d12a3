/// Maps `--state` (or `FIRM_STATE`) to a backend: `etcd://…` and `etcds://…` name etcd, any
/// other URL is refused rather than taken for a path, and a path names local files.
public enum StateBackends {
    /// `state` is `--state` as given; without it, `state/<sandbox>.state.json` in `home` (by
    /// default the current folder). `lockTTL` is the etcd lock's lease TTL in seconds.
    public static func resolve(_ state: String?, sandbox: String, home: String? = nil, lockTTL: Int? = nil) throws(StateError) -> any StateBackend {
        if let state, EtcdAddress.isEtcd(state) {
            return try EtcdStateBackend(EtcdAddress(state), sandbox: sandbox, lockTTL: lockTTL ?? Self.lockTTL)
        }
        if let state, let scheme = state.range(of: "://").map({ String(state[..<$0.lowerBound]) }), !scheme.contains("/") {
            throw .unavailable(location: state, reason: "no state backend for \(quoted(scheme + "://")) URLs; give a file path, or etcd://HOST:PORT/PREFIX")
        }
        return LocalStateBackend(paths: state.map(StatePaths.init(snapshot:)) ?? .default(for: sandbox, home: home))
    }

    /// The etcd lock's lease TTL for this process, from `--lock-ttl` (15 s by default).
    public static var lockTTL: Int {
        get { ttlBox.withLock { ttlValue } }
        set { ttlBox.withLock { ttlValue = newValue } }
    }
    private static let ttlBox = NSLockBox()
    nonisolated(unsafe) private static var ttlValue = 15
}
