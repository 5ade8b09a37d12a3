import FirmBase

/// How the state was configured beyond its location: what a backend kind may need to open it.
public struct StateOptions: Sendable, Equatable {
    /// A remote lock's lease TTL in seconds (`--lock-ttl`), which a killed holder's lock
    /// outlives at most.
    public var lockTTL: Int

    public init(lockTTL: Int = 15) {
        self.lockTTL = lockTTL
    }
}

/// One kind of state backend (local files, etcd): which `--state` locations it serves, and
/// what it can do beyond one sandbox's state. A kind is a target of its own, registered once in
/// the composition root; nothing else names it.
public protocol StateBackendKind: Sendable {
    /// The kind's name, for messages.
    var name: String { get }
    /// Whether `location` (a `--state` value) names a state of this kind. The registry's
    /// fallback kind takes the paths that no other kind claims.
    func claims(_ location: String) -> Bool
    /// The backend of `sandbox`'s state at `location`; a nil location is the default place
    /// under `home` (or the current folder's home).
    func open(_ location: String?, sandbox: String, home: String?, options: StateOptions) throws(StateError) -> any StateBackend
    /// Whether several machines share these states, so that `firm reconcile` runs as a fleet
    /// of replicas that divide the sandboxes between them.
    var isShared: Bool { get }
    /// Where `firm sandboxes` looks, for a `--state` location: a state file's folder, or an
    /// etcd URL's prefix.
    func catalogLocation(of location: String) -> String
    /// Every sandbox whose state is at `location` (as `catalogLocation` gives it), by name.
    func sandboxes(at location: String, options: StateOptions) async throws -> [(name: String, backend: any StateBackend)]
    /// The claims of a reconcile fleet on `location`; a kind that is not shared refuses.
    func fleet(at location: String, replica: String, options: StateOptions) throws(StateError) -> any FleetClaims
}

extension StateBackendKind {
    public var isShared: Bool { false }

    public func fleet(at location: String, replica: String, options: StateOptions) throws(StateError) -> any FleetClaims {
        throw .unavailable(location: location, reason: "\(name) states are not shared between machines, so a reconcile fleet can't divide them")
    }
}

/// The claims a replica of a reconcile fleet holds on a shared state: which sandboxes exist,
/// which are this replica's share, and letting them go on the way out.
public protocol FleetClaims: Sendable {
    /// This replica's name.
    var replica: String { get }
    /// Every sandbox recorded at the shared location, with its blueprint's name.
    func sandboxes() async throws -> [String: String]
    /// Of `work`, the sandboxes this replica holds after rebalancing with the live replicas.
    func balance(_ work: [String]) async throws -> [String]
    /// Gives every claim back, so that others take them over at once.
    func leave() async
    /// Returns when the fleet may have changed since the last `balance` (a replica came or
    /// went, a claim was dropped or a sandbox recorded), or at `deadline`.
    func awaitChange(until deadline: ContinuousClock.Instant) async
    /// Runs one sandbox's cycle so that a lock it takes lives on this replica's own lease (which
    /// it keeps alive anyway, and which goes with its claims), rather than a lease of its own.
    func withReplicaLease<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T
}

extension FleetClaims {
    public func awaitChange(until deadline: ContinuousClock.Instant) async {
        try? await Task.sleep(until: deadline)
    }

    public func withReplicaLease<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        try await body()
    }
}

/// The state backend kinds a process knows; the composition root builds it.
public struct StateBackendRegistry: Sendable {
    /// The kinds that claim their own locations (URLs), tried in order.
    public let kinds: [any StateBackendKind]
    /// The kind that takes every plain path.
    public let files: any StateBackendKind

    public init(files: any StateBackendKind, others: [any StateBackendKind]) {
        self.files = files
        self.kinds = others
    }

    /// The kind that serves `location`: the first that claims it, else files for a path. Any
    /// other URL is refused rather than taken for a path.
    public func kind(of location: String?) throws(StateError) -> any StateBackendKind {
        guard let location else { return files }
        if let kind = kinds.first(where: { $0.claims(location) }) { return kind }
        if let scheme = location.range(of: "://").map({ String(location[..<$0.lowerBound]) }), !scheme.contains("/") {
            throw .unavailable(location: location, reason: "no state backend for \(quoted(scheme + "://")) URLs; give a file path, or etcd://HOST:PORT/PREFIX")
        }
        return files
    }
}
