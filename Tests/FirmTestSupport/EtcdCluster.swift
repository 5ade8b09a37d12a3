import Foundation
import FirmBase
import FirmModel
import FirmEtcdState

/// etcd (installed by scripts/test from Debian's etcd-server) started on free ports of
/// 127.0.0.1 with a temp data folder: one member, or a cluster of three. `stop()` kills every
/// member and removes the data. Members can be killed, paused and resumed one by one.
///
/// With `tls`, each member serves its client port over TLS with that server certificate and
/// asks clients for a certificate signed by its CA (`--client-cert-auth`); `url()` is then
/// `etcds://`. It also serves a second, plain port (`plainPort`), which the tests' own calls
/// and `plainURL()` use, so that they look at what firm wrote without TLS of their own.
package final class EtcdCluster: @unchecked Sendable {
    package static let executable: String? = {
        if let path = ProcessInfo.processInfo.environment["FIRM_ETCD"] { return path }
        return ["/usr/bin/etcd", "/usr/local/bin/etcd"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }()
    /// Whether the etcd tests run: under CI always (a missing etcd fails them), else when etcd
    /// is installed.
    package static let required = ProcessInfo.processInfo.environment["CI"] == "true" || executable != nil

    package struct Member {
        package var name: String
        package var clientPort: Int
        package var peerPort: Int
        /// The plain-HTTP client port: `clientPort` itself, unless the member serves TLS.
        package var plainPort: Int
        package var process: Process
    }

    package private(set) var members: [Member] = []
    private let data = TempDirectory()

    /// `etcd://127.0.0.1:P1,…/firm`, or with `prefix`; `only` picks members by index.
    /// `etcds://` for a member that serves TLS.
    package func url(prefix: String = "/firm", only: [Int]? = nil) -> String {
        let ports = (only ?? Array(members.indices)).map { "127.0.0.1:\(members[$0].clientPort)" }
        return (tls ? "etcds://" : "etcd://") + ports.joined(separator: ",") + prefix
    }

    /// `etcd://` on the members' plain ports.
    package func plainURL(prefix: String = "/firm") -> String {
        "etcd://" + members.map { "127.0.0.1:\($0.plainPort)" }.joined(separator: ",") + prefix
    }

    /// Whether the members serve TLS on their client ports.
    package let tls: Bool

    package init(size: Int = 1, tls server: TestCertificates.Server? = nil) throws {
        let executable = try Self.executable.orThrow("scripts/test installs etcd-server (Debian), or set FIRM_ETCD")
        tls = server != nil
        let ports = freePorts(3 * size)
        let cluster = (0..<size).map { "n\($0)=http://127.0.0.1:\(ports[3 * $0 + 1])" }.joined(separator: ",")
        for i in 0..<size {
            let (client, peer) = (ports[3 * i], ports[3 * i + 1])
            let plain = server == nil ? client : ports[3 * i + 2]
            var listen = "http://127.0.0.1:\(client)", advertise = listen
            var tlsArguments: [String] = []
            if let server {
                listen = "https://127.0.0.1:\(client),http://127.0.0.1:\(plain)"
                advertise = "https://127.0.0.1:\(client)"
                tlsArguments = ["--cert-file", server.certificate, "--key-file", server.key, "--trusted-ca-file", server.clientCA, "--client-cert-auth"]
            }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = tlsArguments + [
                "--name", "n\(i)", "--data-dir", data.file("n\(i)"),
                "--listen-client-urls", listen, "--advertise-client-urls", advertise,
                "--listen-peer-urls", "http://127.0.0.1:\(peer)", "--initial-advertise-peer-urls", "http://127.0.0.1:\(peer)",
                "--initial-cluster", cluster, "--initial-cluster-state", "new", "--initial-cluster-token", "firm-test",
                "--heartbeat-interval", "20", "--election-timeout", "200", "--unsafe-no-fsync",
            ]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            members.append(Member(name: "n\(i)", clientPort: client, peerPort: peer, plainPort: plain, process: process))
        }
        for i in members.indices where !waitUntil(.seconds(30), { self.healthy(i) }) {
            stop()
            throw SetupError("etcd member \(i) did not become healthy")
        }
    }

    package func healthy(_ i: Int) -> Bool {
        guard let answer = try? http(i, "GET", "/health") else { return false }
        return answer.status == 200 && String(decoding: answer.body, as: UTF8.self).contains("\"true\"")
    }

    package func kill(_ i: Int) {
        guard members[i].process.isRunning else { return }
        Foundation.kill(members[i].process.processIdentifier, SIGKILL)
        members[i].process.waitUntilExit()
    }

    package func pause(_ i: Int) { Foundation.kill(members[i].process.processIdentifier, SIGSTOP) }
    package func resume(_ i: Int) { Foundation.kill(members[i].process.processIdentifier, SIGCONT) }

    /// Kills every member and removes the data.
    package func stop() {
        for i in members.indices {
            resume(i)
            kill(i)
        }
        data.remove()
    }

    /// One HTTP request to member `i`.
    package func http(_ i: Int, _ method: String, _ path: String, body: String = "", headers: [String: String] = [:]) throws -> (status: Int, body: Data) {
        try SyncHTTP.request("http://127.0.0.1:\(members[i].plainPort)" + path, method: method, body: body, headers: headers, timeout: 5)
    }

    /// A gateway call on the first running member; the answer as plain JSON.
    package func call(_ path: String, _ body: JSON, token: String? = nil) throws -> JSON {
        let i = try members.indices.first { members[$0].process.isRunning }.orThrow("no etcd member runs")
        let answer = try http(i, "POST", path, body: body.compactText, headers: token.map { ["Authorization": $0] } ?? [:])
        return try JSONReader.parse([UInt8](answer.body)).plain
    }

    /// Every key under `prefix` with its value as text and its mod revision, in key order.
    package func keys(_ prefix: String, token: String? = nil) throws -> [(key: String, value: String, modRevision: Int)] {
        let answer = try call("/v3/kv/range", ["key": .string(Self.base64(prefix)), "range_end": .string(Self.base64(Self.rangeEnd(prefix)))], token: token)
        return (answer["kvs"]?.arrayValue ?? []).map { kv in
            (Self.text(kv["key"]?.stringValue) ?? "?", Self.text(kv["value"]?.stringValue) ?? "", Int(kv["mod_revision"]?.stringValue ?? "") ?? 0)
        }
    }

    /// Writes `value` at `key`, as someone other than firm would.
    package func put(_ key: String, _ value: String) throws {
        _ = try call("/v3/kv/put", ["key": .string(Self.base64(key)), "value": .string(Self.base64(value))])
    }

    /// Deletes `key`, or with `prefix` every key that starts with it.
    package func delete(_ key: String, prefix: Bool = false) throws {
        var members: [(String, JSON)] = [("key", .string(Self.base64(key)))]
        if prefix { members.append(("range_end", .string(Self.base64(Self.rangeEnd(key))))) }
        _ = try call("/v3/kv/deleterange", .object(JSONObject(members)))
    }

    /// The state of `sandbox` as the etcd backend reads it, with `environment` (such as a state key).
    package func state(_ sandbox: String, prefix: String = "/firm", environment: [String: String] = [:]) async throws -> State {
        try await EtcdStateBackend(EtcdAddress(plainURL(prefix: prefix)), sandbox: sandbox, environment: Environment { environment[$0] })
            .load(blueprint: nil, writer: false).state
    }

    /// Runs etcdctl against member 0 (for auth setup).
    package func etcdctl(_ arguments: [String]) throws -> (code: Int32, output: String) {
        try runTool(((Self.executable ?? "/usr/bin/etcd") as NSString).deletingLastPathComponent + "/etcdctl",
                    ["--endpoints=127.0.0.1:\(members[0].plainPort)"] + arguments, environment: ["ETCDCTL_API": "3"])
    }

    /// The end of the key range of everything that starts with `prefix`: its last byte plus one.
    static func rangeEnd(_ prefix: String) -> String {
        var bytes = Array(prefix.utf8)
        guard let last = bytes.popLast() else { return "\0" }
        return String(decoding: bytes + [last &+ 1], as: UTF8.self)
    }

    static func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    static func text(_ base64: String?) -> String? {
        base64.flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) }
    }
}
