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

/// `swift run -c release firm-bench ec2 [--instances N] [--parallelism P] [--refresh M] [--moto PATH] [--write-docs]`:
/// the ec2 provider on moto, measured as users see it, as whole `firm` processes. moto sits
/// behind the counting proxy (Tests/EndToEndTests/Fixtures/throttle_proxy.py, throttling
/// nothing), which logs each call's action and moto's own time for it.
///
/// - Apply N instances at parallelism P: the EC2 calls per instance for deploy, power and
///   address together, and the wall time against the floor moto sets (the same RunInstances
///   from a bare client). firm-bench ec2-race races firm against its peers.
/// - Refresh M instances (`firm plan` on a sandbox of M): DescribeInstances calls per 1,000
///   instances, and the wall time.
enum EC2Bench {
    struct Result {
        var instances: Int
        var parallelism: Int
        var applySeconds: Double
        var applyCalls: [String: Int]
        var instanceCallsPerInstance: Double
        var refreshInstances: Int
        var refreshSeconds: Double
        var refreshDescribes: Int
        /// The same RunInstances from a bare client at the same parallelism: what moto itself allows.
        var floorSeconds: Double = 0
    }

    /// Calls that deploy, power and address an instance (the infrastructure's are counted apart).
    static let instanceActions: Set<String> = ["RunInstances", "StartInstances", "StopInstances", "DescribeInstances"]

    static func run(_ args: BenchArguments) async throws {
        func value(_ name: String, _ fallback: Int) -> Int { args.int(name, fallback) }
        let instances = value("--instances", 200), parallelism = value("--parallelism", 50), refresh = value("--refresh", 1_000)
        let moto = args.values["--moto"] ?? ProcessInfo.processInfo.environment["FIRM_MOTO_SERVER"] ?? ".build/venv-moto/bin/moto_server"
        let firm = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("firm").path
        guard FileManager.default.isExecutableFile(atPath: moto) else {
            throw BenchError("no moto_server at \(moto): run scripts/test once (it installs moto in .build/venv-moto), or pass --moto PATH")
        }
        guard FileManager.default.isExecutableFile(atPath: firm) else { throw BenchError("no firm beside firm-bench (\(firm)): swift build -c release first") }

        let apply = try await session(moto: moto, firm: firm, instances: instances, parallelism: parallelism, refresh: false)
        print(String(format: "ec2 apply %d instances at parallelism %d: %.2f s, %.2f instance calls per instance",
                     instances, parallelism, apply.applySeconds, apply.instanceCallsPerInstance))
        let floor = try await serverFloor(moto: moto, instances: instances, parallelism: parallelism)
        print(String(format: "ec2 floor: %d RunInstances from a bare client at parallelism %d: %.2f s (%.0f calls/s); firm's apply is %.2f× that",
                     instances, parallelism, floor, Double(instances) / floor, apply.applySeconds / floor))
        let big = try await session(moto: moto, firm: firm, instances: refresh, parallelism: parallelism, refresh: true)
        print(String(format: "ec2 refresh %d instances: %.2f s, %d DescribeInstances", refresh, big.refreshSeconds, big.refreshDescribes))
        var result = apply
        result.floorSeconds = floor
        result.refreshInstances = refresh
        result.refreshSeconds = big.refreshSeconds
        result.refreshDescribes = big.refreshDescribes
        if args.flag("--write-docs") { try write(result) }
    }

    /// One moto and proxy, one sandbox of `instances`; an apply, and a plan when `refresh`.
    static func session(moto: String, firm: String, instances: Int, parallelism: Int, refresh: Bool) async throws -> Result {
        let dir = try FirmBench.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let motoPort = freePort(), proxyPort = freePort()
        let server = try start(moto, ["-H", "127.0.0.1", "-p", String(motoPort)], in: dir)
        defer { stop(server) }
        let proxy = try start("/usr/bin/env", ["python3", "Tests/EndToEndTests/Fixtures/throttle_proxy.py", String(proxyPort), String(motoPort), "0", "\(dir)/calls.log"],
                              in: FileManager.default.currentDirectoryPath)
        defer { stop(proxy) }
        try waitForPort(proxyPort)
        try waitForPort(motoPort)
        // moto loads its EC2 backend at its first call (seconds); that is not firm's time.
        _ = try await benchClient(port: motoPort).call("DescribeAvailabilityZones", operation: "bench")
        try blueprint(instances: instances, endpoint: "http://127.0.0.1:\(proxyPort)").write(toFile: "\(dir)/lab.json", atomically: true, encoding: .utf8)
        let env = ["AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"]

        let started = Date()
        try runFirm(firm, ["apply", "lab.json", "--auto-approve", "--parallelism", String(parallelism)], in: dir, env: env)
        let applySeconds = Date().timeIntervalSince(started)
        let applyCalls = try calls("\(dir)/calls.log")
        let instanceCalls = applyCalls.filter { instanceActions.contains($0.key.action) }
        let count = instanceCalls.values.map(\.count).reduce(0, +)
        var result = Result(instances: instances, parallelism: parallelism, applySeconds: applySeconds,
                            applyCalls: Dictionary(applyCalls.map { ($0.key.action, $0.value.count) }, uniquingKeysWith: +),
                            instanceCallsPerInstance: Double(count) / Double(instances), refreshInstances: 0, refreshSeconds: 0, refreshDescribes: 0)
        if refresh {
            try Data().write(to: URL(fileURLWithPath: "\(dir)/calls.log"))
            let planStarted = Date()
            try runFirm(firm, ["plan", "lab.json"], in: dir, env: env)
            result.refreshSeconds = Date().timeIntervalSince(planStarted)
            result.refreshDescribes = try calls("\(dir)/calls.log").filter { $0.key.action == "DescribeInstances" }.values.map(\.count).reduce(0, +)
        }
        return result
    }

    /// The time moto takes for `instances` RunInstances sent by a bare client (no waits, no
    /// state) at `parallelism`, on a fresh server: the floor any client meets, since moto
    /// serves one request at a time.
    static func serverFloor(moto: String, instances: Int, parallelism: Int) async throws -> Double {
        let dir = try FirmBench.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let port = freePort()
        let server = try start(moto, ["-H", "127.0.0.1", "-p", String(port)], in: dir)
        defer { stop(server) }
        try waitForPort(port)
        let client = try benchClient(port: port)
        _ = try await client.call("DescribeAvailabilityZones", operation: "bench")
        let vpc = try await client.call("CreateVpc", [("CidrBlock", "10.61.0.0/16")], operation: "bench").value("vpc", "vpcId") ?? ""
        let subnet = try await client.call("CreateSubnet", [("VpcId", vpc), ("CidrBlock", "10.61.0.0/20")], operation: "bench").value("subnet", "subnetId") ?? ""
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<instances {
                if i >= parallelism { try await group.next() }
                group.addTask {
                    // moto answers an occasional 500 under concurrent load; such a call is tried again.
                    for attempt in 1...3 {
                        do {
                            _ = try await client.call("RunInstances", [("ImageId", "ami-1e749f67"), ("MinCount", "1"), ("MaxCount", "1"), ("SubnetId", subnet),
                                                                       ("ClientToken", "floor-\(i)")], operation: "bench")
                            return
                        } catch let error as ProviderError where error.kind == .retryable && attempt < 3 {}
                    }
                }
            }
            try await group.waitForAll()
        }
        return (ContinuousClock.now - started).seconds
    }

    static func benchClient(port: Int) throws -> EC2Client {
        let credentials = AWSCredentials(credentials: .init(accessKey: "testing", secret: "testing"), region: "us-east-1", source: "firm-bench")
        return try EC2Client(provider: "aws", credentials: credentials, endpoint: URL(string: "http://127.0.0.1:\(port)/"))
    }

    static func blueprint(instances: Int, endpoint: String) -> String {
        let apps = (0..<instances).map { i in
            #""vm\#(i)": {"deploymentPath": {"provider": "aws", "deploymentType": "instance", "attributes": {"AMI": "ami-1e749f67"}}}"#
        }.joined(separator: ",\n")
        let connectors = (0..<instances).map { #"{"from": "vm\#($0)", "to": "private"}"# }.joined(separator: ", ")
        return """
            {"version": 1, "name": "ec2bench",
             "providers": {"aws": {"type": "ec2", "connectivity": "L3",
                                   "settings": {"region": "us-east-1", "cidr": "10.60.0.0/16", "endpoint": "\(endpoint)", "pollInterval": "250ms"}}},
             "apps": {\(apps)},
             "networks": {"private": {"provider": "aws", "subnet": "10.60.0.0/20"}},
             "connectors": [\(connectors)]}
            """
    }

    struct CallKey: Hashable { var action: String }

    /// The proxy's log: per action, how many calls and moto's total time for them.
    static func calls(_ path: String) throws -> [CallKey: (count: Int, seconds: Double)] {
        var result: [CallKey: (count: Int, seconds: Double)] = [:]
        for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard parts.count == 2, let ms = Double(parts[1]) else { continue }
            let key = CallKey(action: String(parts[0]))
            result[key] = ((result[key]?.count ?? 0) + 1, (result[key]?.seconds ?? 0) + ms / 1000)
        }
        return result
    }

    static func runFirm(_ firm: String, _ arguments: [String], in dir: String, env: [String: String]) throws {
        _ = try EC2Race.measure(firm, arguments, in: dir, env: env)
    }

    static func start(_ executable: String, _ arguments: [String], in dir: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: dir)
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        return process
    }

    static func stop(_ process: Process) {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Waits (up to 30 s) until something accepts connections on the port.
    static func waitForPort(_ port: Int) throws {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = UInt16(port).bigEndian
            let ok = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } } == 0
            close(fd)
            if ok { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw BenchError("nothing answered on port \(port)")
    }

    /// Replaces the EC2 section of docs/performance.md (between its markers, or at the end).
    static func write(_ r: Result) throws {
        let begin = "<!-- ec2-bench -->", end = "<!-- /ec2-bench -->"
        let calls = r.applyCalls.keys.sorted().map { "\($0) \(r.applyCalls[$0]!)" }.joined(separator: ", ")
        let section = """
            \(begin)
            ## EC2 on moto

            `swift run -c release firm-bench ec2` (moto \(motoVersion()) on the same machine, behind a counting proxy; whole `firm` processes).

            | measure | result | bar |
            |---|---|---|
            | apply \(r.instances) instances at parallelism \(r.parallelism): EC2 calls per instance (RunInstances, Start/StopInstances, DescribeInstances) | \(String(format: "%.2f", r.instanceCallsPerInstance)) | at most 1 |
            | the same apply's wall time | \(String(format: "%.2f", r.applySeconds)) s | |
            | the floor moto sets: the same \(r.instances) RunInstances from a bare client (no waits, no state) at parallelism \(r.parallelism) | \(String(format: "%.2f", r.floorSeconds)) s (\(String(format: "%.0f", Double(r.instances) / max(r.floorSeconds, 0.001))) calls/s); firm's apply is \(String(format: "%.2f", r.applySeconds / max(r.floorSeconds, 0.001)))× it | |
            | refresh (`firm plan`) of \(r.refreshInstances) instances: DescribeInstances calls | \(r.refreshDescribes) (\(String(format: "%.1f", Double(r.refreshDescribes) * 1000 / Double(r.refreshInstances))) per 1,000) | at most 2 per 1,000 |
            | the same refresh's wall time | \(String(format: "%.2f", r.refreshSeconds)) s | |

            Every call of the apply: \(calls).
            \(end)
            """
        try DocsSection.write(section, begin: begin, end: end, what: "EC2")
    }

    static func motoVersion() -> String { "5.2.1" }
}
