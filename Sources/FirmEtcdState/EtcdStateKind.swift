import FirmBase
import FirmModel


/// State on etcd: `etcd://HOST:PORT[,HOST:PORT…]/PREFIX` (and `etcds://`), one key range per
/// sandbox under the prefix, shared by every machine that reaches it.
public struct EtcdStateKind: StateBackendKind {
    public let name = "etcd"

    public init() {}

    public func claims(_ location: String) -> Bool { EtcdAddress.isEtcd(location) }

    public func open(_ location: String?, sandbox: String, home: String?, options: StateOptions) throws(StateError) -> any StateBackend {
        guard let location else { throw .unavailable(location: "etcd", reason: "an etcd state needs its URL (etcd://HOST:PORT/PREFIX)") }
        return try EtcdStateBackend(EtcdAddress(location), sandbox: sandbox, lockTTL: options.lockTTL)
    }

    public var isShared: Bool { true }

    /// The URL's prefix holds the sandboxes.
    public func catalogLocation(of location: String) -> String { location }

    /// Every sandbox under the prefix, from its index keys (`PREFIX/_sandboxes/NAME`).
    public func sandboxes(at location: String, options: StateOptions) async throws -> [(name: String, backend: any StateBackend)] {
        let address = try EtcdAddress(location)
        let client = try EtcdClient(address)
        let index = EtcdKeys.indexPrefix(address.prefix)
        let names = try await client.rangeAll(prefix: index, keysOnly: true).kvs.map { String($0.key.dropFirst(index.count)) }
        var found: [(name: String, backend: any StateBackend)] = []
        for name in names where Name.isValid(name) {
            found.append((name, try open(location, sandbox: name, home: nil, options: options)))
        }
        return found
    }

    public func fleet(at location: String, replica: String, options: StateOptions) throws(StateError) -> any FleetClaims {
        try EtcdFleet(url: location, replica: replica, ttl: options.lockTTL)
    }
}
