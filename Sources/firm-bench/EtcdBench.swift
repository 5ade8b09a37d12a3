import Foundation
import Firmament
import FirmBase
import FirmModel
import FirmPlanning
import FirmExecution
import FirmSession
import FirmSimulated
import FirmEC2
import FirmLocalState
import FirmEtcdState

/// `swift run -c release firm-bench etcd [--apps N] [--plan-apps N] [--no-write]`: the etcd
/// backend measured as users see it, whole `firm` processes against a real etcd (Debian's, or
/// $FIRM_ETCD) started here on free ports with its default durability (fsync on), beside the
/// same runs on local files:
/// - the cost per action of an apply of N apps at zero latency (group commit on), as wall time
///   and as the process's CPU time, and the etcd transactions it took, over plain HTTP and over
///   TLS (`etcds://`, with a client certificate; the certificates made by the `openssl` command)
///   to the same etcd, and with the state encrypted (FIRM_STATE_KEY), each the best of two runs;
/// - a plan of 10,000 apps whose state is on etcd, with and without refresh.
enum EtcdBench {
    struct Run {
        var wall: Double
        var cpu: Double
        var maxRSSMB: Double
        var output: String
    }

    struct Result {
        var apps = 0
        var etcdApply = Run(wall: 0, cpu: 0, maxRSSMB: 0, output: "")
        var etcdsApply = Run(wall: 0, cpu: 0, maxRSSMB: 0, output: "")
        /// Plain etcd with the state encrypted (FIRM_STATE_KEY).
        var sealedApply = Run(wall: 0, cpu: 0, maxRSSMB: 0, output: "")
        var localApply = Run(wall: 0, cpu: 0, maxRSSMB: 0, output: "")
        var actions = 0
        var transactions = 0
        var planApps = 0
        var etcdPlan = 0.0, etcdPlanRefresh = 0.0, localPlan = 0.0, localPlanRefresh = 0.0
        var etcdPlanRSS = 0.0
    }

    static func run(_ args: BenchArguments) async throws {
        func value(_ name: String, _ fallback: Int) -> Int { args.int(name, fallback) }
        let firm = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("firm").path
        guard FileManager.default.isExecutableFile(atPath: firm) else { throw BenchError("no firm beside firm-bench (\(firm)): swift build -c release first") }
        let dir = try FirmBench.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let tlsPort = EC2Bench.freePort()
        let tls = try certificates(in: dir)
        let (etcd, url) = try await startEtcd(in: dir, tlsPort: tlsPort)
        defer { EC2Bench.stop(etcd) }
        var r = Result()
        r.apps = value("--apps", 1_000)
        r.planApps = value("--plan-apps", 10_000)

        // The cost per action: the same apply on etcd, on etcd over TLS and on local files,
        // interleaved, each kind's best of two.
        let tlsURL = "etcds://127.0.0.1:\(tlsPort)"
        var fastest: [String: Run] = [:]
        for round in 0..<2 {
            for (name, state) in [("etcd", url + "/apply\(round)"), ("etcds", tlsURL + "/applytls\(round)"), ("etcd-key", url + "/applykey\(round)"), ("local", "")] {
                let work = dir + "/apply-\(name)-\(round)"
                try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
                try Workloads.blueprint(apps: r.apps).write(toFile: work + "/bench.json", atomically: true, encoding: .utf8)
                let before = try await revision(url)
                var env = ["BENCH_PW": "bench-secret"]
                if !state.isEmpty { env["FIRM_STATE"] = state }
                if name == "etcds" { env.merge(tls) { $1 } }
                if name == "etcd-key" { env["FIRM_STATE_KEY"] = Data((0..<32).map { UInt8($0) }).base64EncodedString() }
                let run = try measure(firm, ["apply", "bench.json", "--auto-approve", "--parallelism", "100"], in: work, env: env)
                if name == "etcd" {
                    r.transactions = try await revision(url) - before
                    r.actions = Int(run.output.components(separatedBy: ": ").last?.split(separator: " ").first ?? "") ?? 0
                }
                if fastest[name].map({ run.wall < $0.wall }) ?? true { fastest[name] = run }
                print("apply \(r.apps) apps on \(name): \(String(format: "%.2f", run.wall)) s wall, \(String(format: "%.2f", run.cpu)) s CPU")
            }
        }
        r.etcdApply = fastest["etcd"]!
        r.etcdsApply = fastest["etcds"]!
        r.sealedApply = fastest["etcd-key"]!
        r.localApply = fastest["local"]!

        // A plan of planApps apps: applied on local files, timed there, moved to etcd, timed there.
        let work = dir + "/plan"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        try Workloads.blueprint(apps: r.planApps).write(toFile: work + "/bench.json", atomically: true, encoding: .utf8)
        let env = ["BENCH_PW": "bench-secret"]
        _ = try measure(firm, ["apply", "bench.json", "--auto-approve", "--parallelism", "100"], in: work, env: env)
        func best(_ arguments: [String], _ env: [String: String]) throws -> Run {
            try (0..<3).map { _ in try measure(firm, arguments, in: work, env: env) }.min { $0.wall < $1.wall }!
        }
        r.localPlan = try best(["plan", "bench.json", "--refresh=false"], env).wall
        r.localPlanRefresh = try best(["plan", "bench.json"], env).wall
        _ = try measure(firm, ["state", "migrate", "bench.json", "--to", url + "/plan"], in: work, env: env)
        let etcdEnv = env.merging(["FIRM_STATE": url + "/plan"]) { $1 }
        let planRun = try best(["plan", "bench.json", "--refresh=false"], etcdEnv)
        r.etcdPlan = planRun.wall
        r.etcdPlanRSS = planRun.maxRSSMB
        r.etcdPlanRefresh = try best(["plan", "bench.json"], etcdEnv).wall
        print("plan \(r.planApps) apps: etcd \(String(format: "%.2f", r.etcdPlan)) s (refresh \(String(format: "%.2f", r.etcdPlanRefresh)) s), local \(String(format: "%.2f", r.localPlan)) s (refresh \(String(format: "%.2f", r.localPlanRefresh)) s)")
        if args.flag("--write-docs") { try write(r) }
    }

    /// Starts etcd (Debian's, or $FIRM_ETCD) on free ports with its data under `dir`, and
    /// waits for it; returns the process and its URL (etcd://127.0.0.1:PORT). With `tlsPort`, it
    /// also serves TLS there, with the certificates `certificates(in: dir)` made, and asks for
    /// a client certificate.
    static func startEtcd(in dir: String, tlsPort: Int? = nil) async throws -> (Process, String) {
        let etcdPath = ProcessInfo.processInfo.environment["FIRM_ETCD"] ?? "/usr/bin/etcd"
        guard FileManager.default.isExecutableFile(atPath: etcdPath) else { throw BenchError("no etcd at \(etcdPath): apt-get install etcd-server, or set FIRM_ETCD") }
        let client = EC2Bench.freePort(), peer = EC2Bench.freePort()
        let etcd = try EC2Bench.start(etcdPath, [
            "--name", "bench", "--data-dir", dir + "/etcd",
            "--listen-client-urls", "http://127.0.0.1:\(client)" + (tlsPort.map { ",https://127.0.0.1:\($0)" } ?? ""), "--advertise-client-urls", "http://127.0.0.1:\(client)",
        ] + (tlsPort == nil ? [] : ["--cert-file", dir + "/server.pem", "--key-file", dir + "/server.key", "--trusted-ca-file", dir + "/ca.pem", "--client-cert-auth"]) + [
            "--listen-peer-urls", "http://127.0.0.1:\(peer)", "--initial-advertise-peer-urls", "http://127.0.0.1:\(peer)", "--initial-cluster", "bench=http://127.0.0.1:\(peer)",
            "--quota-backend-bytes", String(4 << 30),
        ], in: dir)
        do {
            try EC2Bench.waitForPort(client)
        } catch {
            EC2Bench.stop(etcd)
            throw error
        }
        try await Task.sleep(for: .seconds(1))
        return (etcd, "etcd://127.0.0.1:\(client)")
    }

    /// A CA, a server certificate for 127.0.0.1 and a client certificate (no Common Name, as
    /// etcd's gateway wants) in `dir`, made by the `openssl` command; the variables firm needs.
    static func certificates(in dir: String) throws -> [String: String] {
        func openssl(_ arguments: [String]) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            process.arguments = arguments
            process.currentDirectoryURL = URL(fileURLWithPath: dir)
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw BenchError("openssl \(arguments.prefix(2).joined(separator: " ")) failed (apt-get install openssl)") }
        }
        let key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
        try openssl(["req", "-x509"] + key + ["-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=bench-ca", "-days", "2"])
        for (name, subject, ext) in [("server", "/CN=bench-etcd", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth"),
                                     ("client", "/O=bench-firm", "extendedKeyUsage=clientAuth")] {
            try (ext + "\n").write(toFile: dir + "/\(name).ext", atomically: true, encoding: .utf8)
            try openssl(["req"] + key + ["-keyout", "\(name).key", "-out", "\(name).csr", "-subj", subject])
            try openssl(["x509", "-req", "-in", "\(name).csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
                         "-extfile", "\(name).ext", "-out", "\(name).pem"])
        }
        return ["FIRM_ETCD_CACERT": dir + "/ca.pem", "FIRM_ETCD_CERT": dir + "/client.pem", "FIRM_ETCD_KEY": dir + "/client.key"]
    }

    /// etcd's current revision: every transaction that writes adds one.
    static func revision(_ url: String) async throws -> Int {
        let client = try EtcdClient(EtcdAddress(url + "/x"))
        let answer = try await client.call("/v3/kv/range", ["key": .string(Base64Text.encode("/"))])
        return Int(answer.member("header")?.member("revision")?.plain.stringValue ?? "") ?? 0
    }

    /// Runs firm under /usr/bin/time: wall time, user + system CPU and peak memory of that
    /// process alone.
    static func measure(_ firm: String, _ arguments: [String], in dir: String, env: [String: String]) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/time")
        process.arguments = ["-f", "TIME %e %U %S %M", firm] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: dir)
        process.environment = ProcessInfo.processInfo.environment.merging(env) { $1 }
        // Standard error goes to a file: read after standard output, a pipe would fill up (a
        // refused blueprint of 10,000 apps prints a line for each) and both processes would wait.
        let out = Pipe(), errFile = try FirmBench.temporaryDirectory() + "/stderr"
        guard FileManager.default.createFile(atPath: errFile, contents: nil) else { throw BenchError("cannot create \(errFile)") }
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errFile))
        process.standardOutput = out
        process.standardError = err
        try process.run()
        try? err.close()
        let outText = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let errText = String(decoding: FileManager.default.contents(atPath: errFile) ?? Data(), as: UTF8.self)
        guard process.terminationStatus == 0 || arguments.first == "plan" && process.terminationStatus == 2,
            let line = errText.split(separator: "\n").last(where: { $0.hasPrefix("TIME ") })
        else {
            throw BenchError("firm \(arguments.joined(separator: " ")) exited \(process.terminationStatus): \(errText.suffix(2000))")
        }
        let f = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard f.count == 4 else { throw BenchError("unreadable /usr/bin/time line \(line)") }
        let summary = String(decoding: outText, as: UTF8.self).split(separator: "\n").last { $0.contains("complete in") }.map(String.init) ?? ""
        return Run(wall: f[0], cpu: f[1] + f[2], maxRSSMB: f[3] / 1024, output: summary)
    }

    static func write(_ r: Result) throws {
        let begin = "<!-- etcd-bench -->", end = "<!-- /etcd-bench -->"
        func ms(_ seconds: Double, _ n: Int) -> String { String(format: "%.2f ms", seconds * 1000 / Double(max(n, 1))) }
        let section = """
            \(begin)
            ## The etcd backend

            `swift run -c release firm-bench etcd` (etcd \(etcdVersion()) from Debian on the same machine, default durability; whole `firm` processes, timed by /usr/bin/time; the applies interleaved, each the best of two). `etcds` is the same etcd over TLS 1.3 with a client certificate (`--client-cert-auth`); `etcd, encrypted` is plain etcd with the state's values encrypted (`FIRM_STATE_KEY`). Machine: \(Machine.summary).

            | measure | etcd | etcds (TLS) | etcd, encrypted | local files | bar |
            |---|---|---|---|---|---|
            | apply \(r.apps) apps at zero latency, parallelism 100: wall time per action (\(r.actions) actions) | \(ms(r.etcdApply.wall, r.actions)) | \(ms(r.etcdsApply.wall, r.actions)) (\(String(format: "%.2f", r.etcdsApply.wall / max(r.etcdApply.wall, 0.001)))× plain) | \(ms(r.sealedApply.wall, r.actions)) (\(String(format: "%.2f", r.sealedApply.wall / max(r.etcdApply.wall, 0.001)))× plain) | \(ms(r.localApply.wall, r.actions)) | under 1 ms; TLS at most 1.5× plain |
            | the same: firm's CPU (user + sys) per action | \(ms(r.etcdApply.cpu, r.actions)) | \(ms(r.etcdsApply.cpu, r.actions)) | \(ms(r.sealedApply.cpu, r.actions)) | \(ms(r.localApply.cpu, r.actions)) | |
            | the same: etcd transactions (group commit) | \(r.transactions) (\(String(format: "%.2f", Double(r.transactions) / Double(max(r.actions, 1)))) per action) | | | | |
            | plan of \(r.planApps) apps, no changes, `--refresh=false` | \(String(format: "%.2f", r.etcdPlan)) s, \(String(format: "%.0f", r.etcdPlanRSS)) MB | | | \(String(format: "%.2f", r.localPlan)) s | under 0.5 s |
            | the same plan with refresh (simulated cloud) | \(String(format: "%.2f", r.etcdPlanRefresh)) s | | | \(String(format: "%.2f", r.localPlanRefresh)) s | |
            \(end)
            """
        try DocsSection.write(section, begin: begin, end: end, what: "etcd")
    }

    static func etcdVersion() -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ProcessInfo.processInfo.environment["FIRM_ETCD"] ?? "/usr/bin/etcd")
        process.arguments = ["--version"]
        let out = Pipe()
        process.standardOutput = out
        try? process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return text.split(separator: "\n").first.map { String($0.split(separator: ":").last ?? "").trimmingCharacters(in: .whitespaces) } ?? "?"
    }
}

/// Base64 of text, for the bench's own gateway calls.
enum Base64Text {
    static func encode(_ text: String) -> String { Data(text.utf8).base64EncodedString() }
}
