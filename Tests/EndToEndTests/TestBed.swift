import Foundation
@testable import FirmBase
@testable import FirmModel
@testable import FirmLocalState
@testable import FirmEtcdState
@testable import Firmament
import FirmTestSupport

/// The state backends that the end-to-end lifecycle, drift and crash-safety tests run on.
enum StateBackendUnderTest: String, CaseIterable, CustomStringConvertible, Sendable {
    /// A snapshot and journal under the test folder's `state/`, firm's default.
    case local
    /// Keys under `/firm` on an etcd of the test's own, named by FIRM_STATE.
    case etcd
    /// The same over TLS: `etcds://`, the etcd asking for a client certificate, firm given
    /// the test CA and a client certificate made by the `openssl` command.
    case etcds

    var description: String { rawValue }

    var isEtcd: Bool { self != .local }

    /// Local files always; etcd where it is installed, and always under CI (where a missing
    /// etcd fails the test rather than skip it).
    static let all: [StateBackendUnderTest] = EtcdCluster.required ? [.local, .etcd] : [.local]
    /// `all`, and etcd over TLS: for the lifecycle, lock, fencing and crash tests.
    static let withTLS: [StateBackendUnderTest] = EtcdCluster.required ? [.local, .etcd, .etcds] : [.local]
}

/// One end-to-end test's setting: a temp folder where `firm` runs (its blueprints, and the
/// simulated cloud's world under `.firm/`), the state backend under test (for etcd, a cluster
/// of its own on free ports), and `env`, the environment that names that state for firm and
/// holds the lab blueprint's secret. `stop()` removes it all.
///
///     let bed = try TestBed(.etcd)
///     defer { bed.stop() }
///     bed.firm.write("lab.json", Blueprints.lab())
///     let apply = try bed.run(["apply", "lab.json", "--auto-approve"])
final class TestBed: @unchecked Sendable {
    let backend: StateBackendUnderTest
    let firm = FirmProcess()
    /// The etcd of `.etcd` and `.etcds`, with `members` members.
    let etcd: EtcdCluster?
    /// The certificates of `.etcds`.
    let certificates: TestCertificates?
    /// `Blueprints.secretEnv`, and for etcd FIRM_STATE.
    let env: [String: String]

    init(_ backend: StateBackendUnderTest, members: Int = 1) throws {
        self.backend = backend
        switch backend {
        case .local:
            etcd = nil
            certificates = nil
            env = Blueprints.secretEnv
        case .etcd:
            let etcd = try EtcdCluster(size: members)
            self.etcd = etcd
            certificates = nil
            env = Blueprints.secretEnv.merging(["FIRM_STATE": etcd.url()]) { $1 }
        case .etcds:
            let certificates = try TestCertificates()
            let etcd = try EtcdCluster(size: members, tls: certificates.server("server"))
            self.etcd = etcd
            self.certificates = certificates
            env = Blueprints.secretEnv.merging(["FIRM_STATE": etcd.url(), "FIRM_ETCD_CACERT": certificates.caFile,
                                                "FIRM_ETCD_CERT": certificates.clientCertificate, "FIRM_ETCD_KEY": certificates.clientKey]) { $1 }
        }
    }

    func stop() {
        etcd?.stop()
        certificates?.folder.remove()
        firm.remove()
    }

    /// Runs firm to the end in the test's folder with `env`, and `environment` over it.
    @discardableResult
    func run(_ arguments: [String], environment: [String: String] = [:], unset: [String] = [], in folder: String? = nil) throws -> FirmProcess.Result {
        try firm.run(arguments, environment: env.merging(environment) { $1 }, unset: unset, in: folder)
    }

    /// Starts firm with `env`, without waiting.
    func start(_ arguments: [String], environment: [String: String] = [:], in folder: String? = nil) throws -> (Process, ReadBox, ReadBox) {
        let (process, out, err) = try firm.start(arguments, environment: env.merging(environment) { $1 }, in: folder)
        return (process, ReadBox(out.fileHandleForReading), ReadBox(err.fileHandleForReading))
    }

    /// Options for a firm run that a test kills: on etcd a short lease, so that the lock a
    /// killed firm held ends within 2 s instead of the default 15 s. A local lock dies with its
    /// holder.
    var killable: [String] { backend.isEtcd ? ["--lock-ttl", "2s"] : [] }

    /// Where `sandbox`'s state is, as `--state` takes it (over TLS, the members' plain ports,
    /// for this process's own reads, which have no certificates).
    func location(_ sandbox: String) -> String {
        switch backend {
        case .local: firm.path("state/\(sandbox).state.json")
        case .etcd: etcd?.url() ?? ""
        case .etcds: etcd?.plainURL() ?? ""
        }
    }

    /// The backend of `sandbox`'s state, as firm opens it.
    func stateBackend(_ sandbox: String, lockTTL: Int = 30) throws -> any StateBackend {
        let location = location(sandbox)
        return try BuiltIn.stateBackends.kind(of: location).open(location, sandbox: sandbox, home: firm.directory, options: StateOptions(lockTTL: lockTTL))
    }

    /// `sandbox`'s state as it is stored now (an empty one when there is none).
    func state(_ sandbox: String) async throws -> State {
        try await stateBackend(sandbox).load(blueprint: nil, writer: false).state
    }

    /// Takes `sandbox`'s lock for `operation` in this process, as another firm would.
    func lock(_ sandbox: String, operation: String = "test") async throws -> any StateLease {
        try await stateBackend(sandbox).lock(operation: operation, timeout: nil)
    }

    /// Releases `lease`, and waits for the release to reach etcd (a lease's release returns
    /// at once and finishes in the background).
    func release(_ lease: any StateLease) async {
        lease.release()
        await PendingWork.shared.drain(within: .seconds(10))
    }

    /// Whether some process holds `sandbox`'s lock right now. Synchronous, for `waitUntil`.
    func isLocked(_ sandbox: String) -> Bool {
        switch backend {
        case .local: StateLock.isHeld(StatePaths(snapshot: location(sandbox)))
        case .etcd, .etcds: ((try? etcd?.keys("/firm/\(sandbox)/lock").isEmpty) ?? true) == false
        }
    }

    /// Whether `process` has come to `sandbox`'s lock and waits for it: it holds the lock file
    /// open (a local wait tries the lock every 50 ms), or, on etcd, some client watches (firm
    /// waits on a watch of the lock key; the tests watch nothing). Synchronous, for `waitUntil`.
    func isWaiting(_ process: Process, forLockOf sandbox: String) -> Bool {
        switch backend {
        case .local:
            return openFiles(of: process.processIdentifier).contains(realPath(StatePaths(snapshot: location(sandbox)).lock))
        case .etcd, .etcds:
            guard let etcd, let metrics = try? etcd.http(0, "GET", "/metrics") else { return false }
            let line = String(decoding: metrics.body, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix("etcd_debugging_mvcc_watcher_total ") }
            return (line?.split(separator: " ").last.flatMap { Double($0) } ?? 0) > 0
        }
    }

    /// Everything the backend stores, by file path or key: the text of each file under
    /// `state/`, or each key's mod revision and value under `/firm/`. `lock` leaves out the
    /// lock, which the test's own lock and release change.
    func stored(lock: Bool = true) throws -> [String: String] {
        var result: [String: String] = [:]
        switch backend {
        case .local:
            let folder = firm.path("state")
            for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where lock || !name.hasSuffix(".lock") {
                result["state/" + name] = firm.read("state/" + name) ?? ""
            }
        case .etcd, .etcds:
            for kv in try etcd?.keys("/firm/") ?? [] where lock || !kv.key.hasSuffix("/lock") {
                result[kv.key] = "\(kv.modRevision) \(kv.value)"
            }
        }
        return result
    }
}
