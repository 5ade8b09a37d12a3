import Foundation
import Synchronization
import Testing
@testable import FirmBase
@testable import FirmModel
@testable import FirmPlanning
@testable import FirmExecution
@testable import FirmSimulated
@testable import FirmProcess
@testable import FirmEC2
@testable import FirmLocalState
@testable import FirmEtcdState
@testable import FirmSession
@testable import FirmDrift
@testable import Firmament

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif


/// etcd (installed by scripts/test from Debian's etcd-server) started on free ports of
/// 127.0.0.1 with a temp data folder: one member, or a cluster of three. `stop()` kills every
/// member and removes the data. Members can be killed, paused and resumed one by one.
final class EtcdCluster: @unchecked Sendable {
    static let executable: String? = {
        if let path = ProcessInfo.processInfo.environment["FIRM_ETCD"] { return path }
        return ["/usr/bin/etcd", "/usr/local/bin/etcd"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }()
    static let required = ProcessInfo.processInfo.environment["CI"] == "true" || executable != nil

    struct Member {
        var name: String
        var clientPort: Int
        var peerPort: Int
        var process: Process
    }

    private(set) var members: [Member] = []
    let dataDirectory: String
    /// `etcd://127.0.0.1:P1,…/firm`, or with `prefix`.
    func url(prefix: String = "/firm", only: [Int]? = nil) -> String {
        let ports = (only ?? Array(members.indices)).map { "127.0.0.1:\(members[$0].clientPort)" }
        return "etcd://" + ports.joined(separator: ",") + prefix
    }

    init(size: Int = 1) throws {
        let executable = try #require(Self.executable, "scripts/test installs etcd-server (Debian) or set FIRM_ETCD")
        dataDirectory = NSTemporaryDirectory() + "firm-etcd-" + UUID().uuidString
        var ports: [(Int, Int)] = []
        var used: Set<Int> = []
        while ports.count < size {
            let a = MotoServer.freePort(), b = MotoServer.freePort()
            if a != b, !used.contains(a), !used.contains(b) {
                ports.append((a, b))
                used.formUnion([a, b])
            }
        }
        let cluster = ports.enumerated().map { "n\($0.offset)=http://127.0.0.1:\($0.element.1)" }.joined(separator: ",")
        for (i, (client, peer)) in ports.enumerated() {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = [
                "--name", "n\(i)", "--data-dir", dataDirectory + "/n\(i)",
                "--listen-client-urls", "http://127.0.0.1:\(client)", "--advertise-client-urls", "http://127.0.0.1:\(client)",
                "--listen-peer-urls", "http://127.0.0.1:\(peer)", "--initial-advertise-peer-urls", "http://127.0.0.1:\(peer)",
                "--initial-cluster", cluster, "--initial-cluster-state", "new", "--initial-cluster-token", "firm-test",
                "--heartbeat-interval", "20", "--election-timeout", "200", "--unsafe-no-fsync",
            ]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            members.append(Member(name: "n\(i)", clientPort: client, peerPort: peer, process: process))
        }
        for i in members.indices {
            let up = waitUntil(.seconds(30)) { self.healthy(i) }
            try #require(up, "etcd member \(i) did not become healthy")
        }
    }

    func healthy(_ i: Int) -> Bool {
        guard let answer = try? http(i, "GET", "/health") else { return false }
        return answer.status == 200 && String(decoding: answer.body, as: UTF8.self).contains("\"true\"")
    }

    func kill(_ i: Int) {
        guard members[i].process.isRunning else { return }
        Foundation.kill(members[i].process.processIdentifier, SIGKILL)
        members[i].process.waitUntilExit()
    }

    func pause(_ i: Int) { Foundation.kill(members[i].process.processIdentifier, SIGSTOP) }
    func resume(_ i: Int) { Foundation.kill(members[i].process.processIdentifier, SIGCONT) }

    func stop() {
        for i in members.indices {
            resume(i)
            kill(i)
        }
        try? FileManager.default.removeItem(atPath: dataDirectory)
    }

    /// One HTTP request to member `i`, synchronously (URLSession's own threads do the work).
    func http(_ i: Int, _ method: String, _ path: String, body: String = "", headers: [String: String] = [:]) throws -> (status: Int, body: Data) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(members[i].clientPort)" + path)!)
        request.httpMethod = method
        request.timeoutInterval = 5
        if !body.isEmpty { request.httpBody = Data(body.utf8) }
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        let done = DispatchSemaphore(value: 0)
        let box = Mutex<(result: (Int, Data)?, failure: (any Error)?)>((nil, nil))
        URLSession.shared.dataTask(with: request) { data, response, error in
            box.withLock {
                if let error { $0.failure = error } else { $0.result = ((response as? HTTPURLResponse)?.statusCode ?? 0, data ?? Data()) }
            }
            done.signal()
        }.resume()
        done.wait()
        return try box.withLock {
            if let failure = $0.failure { throw failure }
            return $0.result!
        }
    }

    /// A gateway call on the first running member; the answer as plain JSON.
    func call(_ path: String, _ body: JSON, token: String? = nil) throws -> JSON {
        let i = try #require(members.indices.first { members[$0].process.isRunning }, "no etcd member runs")
        let answer = try http(i, "POST", path, body: body.compactText, headers: token.map { ["Authorization": $0] } ?? [:])
        return try JSONReader.parse([UInt8](answer.body)).plain
    }

    /// Every key under `prefix` with its value as text and its mod revision.
    func keys(_ prefix: String, token: String? = nil) throws -> [(key: String, value: String, modRevision: Int)] {
        let end = Etcd.rangeEnd(prefix)
        let answer = try call("/v3/kv/range", ["key": .string(Base64.encode(Array(prefix.utf8))), "range_end": .string(Base64.encode(Array(end.utf8)))], token: token)
        return (answer["kvs"]?.arrayValue ?? []).map { kv in
            (Base64.text(kv["key"]?.stringValue ?? "") ?? "?", Base64.text(kv["value"]?.stringValue ?? "") ?? "",
             Int(kv["mod_revision"]?.stringValue ?? "") ?? 0)
        }
    }

    /// The state of `sandbox` as the etcd backend reads it.
    func state(_ sandbox: String, prefix: String = "/firm") async throws -> State {
        try await EtcdStateBackend(EtcdAddress(url(prefix: prefix)), sandbox: sandbox).load(blueprint: nil, writer: false).state
    }

    /// Runs etcdctl against member 0 (for auth setup).
    func etcdctl(_ arguments: [String]) throws -> (code: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ((Self.executable ?? "/usr/bin/etcd") as NSString).deletingLastPathComponent + "/etcdctl")
        process.arguments = ["--endpoints=127.0.0.1:\(members[0].clientPort)"] + arguments
        var env = ProcessInfo.processInfo.environment
        env["ETCDCTL_API"] = "3"
        process.environment = env
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let box = ReadBox(out.fileHandleForReading)
        process.waitUntilExit()
        return (process.terminationStatus, box.text())
    }
}
