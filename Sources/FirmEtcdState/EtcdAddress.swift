import FirmBase
import FirmModel

/// Where an etcd state lives, from `--state etcd://HOST:PORT[,HOST:PORT…]/PREFIX` (or
/// `etcds://` for TLS): the members' client endpoints, tried in turn, and the key prefix.
public struct EtcdAddress: Sendable, Equatable {
    public var tls: Bool
    /// `host:port` of each member, in the order given.
    public var endpoints: [String]
    /// The key prefix, with a leading and no trailing slash, such as `/firm`.
    public var prefix: String

    /// The URL as given, which saved plans record, so it names the same store again.
    public var url: String { location(of: prefix) }

    /// Where a key is, for messages: the members, then the key, which holds the prefix.
    public func location(of key: String) -> String { (tls ? "etcds://" : "etcd://") + endpoints.joined(separator: ",") + key }

    /// Whether `text` is meant as an etcd URL (and so must parse as one).
    public static func isEtcd(_ text: String) -> Bool {
        text.hasPrefix("etcd://") || text.hasPrefix("etcds://")
    }

    /// Parses an etcd URL; the error says what is wrong with it.
    public init(_ text: String) throws(StateError) {
        func bad(_ why: String) -> StateError { .unavailable(location: text, reason: "not an etcd URL: \(why) (expected etcd://HOST:PORT[,HOST:PORT…]/PREFIX)") }
        if text.hasPrefix("etcds://") { tls = true } else if text.hasPrefix("etcd://") { tls = false } else { throw bad("it must start with etcd:// or etcds://") }
        let rest = text.dropFirst(tls ? 8 : 7)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let hosts = rest[..<slash].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard !hosts.isEmpty, hosts.count <= 16 else { throw bad("it names \(hosts.count) endpoints (1 to 16)") }
        for host in hosts {
            guard let colon = host.lastIndex(of: ":"), let port = Int(host[host.index(after: colon)...]), (1...65535).contains(port) else {
                throw bad("endpoint \(quoted(host)) is not HOST:PORT with a port from 1 to 65535")
            }
            let name = host[..<colon]
            let allowed = name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "." || $0 == "-" || $0 == "[" || $0 == "]" || $0 == ":") }
            guard !name.isEmpty, name.count <= 253, allowed else { throw bad("endpoint \(quoted(host)) has no valid host name") }
        }
        endpoints = hosts
        let path = rest[slash...].split(separator: "/").map(String.init)
        guard !path.isEmpty else { throw bad("it names no key prefix, such as /firm") }
        for part in path {
            let allowed = part.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0)) }
            guard allowed, part != ".", part != ".." else { throw bad("the prefix part \(quoted(part)) may hold only letters, digits, '.', '_' and '-'") }
        }
        guard path.joined(separator: "/").count <= 200 else { throw bad("the prefix is longer than 200 characters") }
        prefix = "/" + path.joined(separator: "/")
    }
}
