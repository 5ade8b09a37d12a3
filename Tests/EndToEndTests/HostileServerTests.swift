import Foundation
import Testing
@testable import FirmBase
@testable import FirmModel
import FirmTestSupport

/// A hostile HTTP server (Fixtures/hostile_http.py) on a free port of 127.0.0.1, in one mode; it
/// stops by itself after its lifetime, and `stop()` ends it sooner.
final class HostileServer: @unchecked Sendable {
    let port: Int
    private let process = Process()
    /// What it prints: "ready", then what a mode reports doing ("stray sent").
    let output: ReadBox

    init(_ mode: String, lifetime: Int = 60) throws {
        port = freePort()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "\(ProcessDriverTests.root.path)/Tests/EndToEndTests/Fixtures/hostile_http.py", String(port), mode, String(lifetime)]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        output = ReadBox(out.fileHandleForReading)
        guard waitUntil(.seconds(30), { self.output.soFar.contains("ready") || !self.process.isRunning }), output.soFar.contains("ready") else {
            stop()
            throw HostileServerError(message: "hostile_http.py \(mode) did not start")
        }
    }

    /// SIGKILL: a child of the test runner may inherit a mask that blocks SIGTERM.
    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

struct HostileServerError: Error { var message: String }

/// Runs firm against `server` and waits at most `limit` for it: a firm still running then is
/// killed, and the test fails, instead of hanging the suite.
func runBounded(_ firm: FirmProcess, _ arguments: [String], environment: [String: String] = [:], limit: Duration = .seconds(30)) throws -> FirmProcess.Result {
    let (process, out, err) = try firm.start(arguments, environment: environment)
    let stdout = ReadBox(out.fileHandleForReading), stderr = ReadBox(err.fileHandleForReading)
    let ended = waitUntil(limit) { !process.isRunning }
    if !ended {
        process.interrupt()
        kill(process.processIdentifier, SIGKILL)
        Issue.record("firm \(arguments.joined(separator: " ")) was still running after \(limit)")
    }
    process.waitUntilExit()
    return FirmProcess.Result(code: process.terminationStatus, stdout: stdout.text(), stderr: stderr.text())
}

@Suite("End to end: hostile servers", .serialized)
struct HostileServerTests {
    @Test("an etcd range that says more follow for ever is stopped with a clear error, and nothing is written")
    func endlessRange() throws {
        let server = try HostileServer("etcd-endless")
        defer { server.stop() }
        let firm = FirmProcess()
        defer { firm.remove() }
        let url = "etcd://127.0.0.1:\(server.port)/firm"
        for args in [["show", "--sandbox", "lab", "--state", url], ["sandboxes", "--state", url]] {
            let run = try runBounded(firm, args)
            #expect(run.code == 1, "\(args): \(run.output)")
            #expect(run.stderr.contains("short of the 1000 asked for"), "\(args): \(run.stderr)")
            #expect(!run.stderr.contains("Fatal"))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: firm.directory).isEmpty, "nothing was written")
    }

    @Test("a DescribeInstances whose nextToken never ends is stopped after a bounded number of pages, with a clear error")
    func endlessNextToken() throws {
        let server = try HostileServer("ec2-endless")
        defer { server.stop() }
        let firm = FirmProcess()
        defer { firm.remove() }
        let blueprint = try String(contentsOf: ProcessDriverTests.root.appendingPathComponent("blueprints/ec2-sandbox.json"), encoding: .utf8)
            .replacingOccurrences(of: "127.0.0.1:5055", with: "127.0.0.1:\(server.port)")
        firm.write("lab.json", blueprint)
        let state = try Self.seedEmptyState(firm)
        let env = ["AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"]
        let drift = try runBounded(firm, ["drift", "lab.json"], environment: env, limit: .seconds(60))
        #expect(drift.code == 1, "\(drift.output)")
        #expect(drift.stderr.contains("DescribeInstances went on past 1000 pages"), "\(drift.stderr)")
        #expect(firm.read("state/ec2-sandbox.state.json") == state, "nothing was written")
    }

    /// Drift reads a state, and refuses one that isn't there: an empty one is made first, by
    /// applying a blueprint of the same name with no apps. Returns the state file's text.
    static func seedEmptyState(_ firm: FirmProcess) throws -> String? {
        firm.write("seed/seed.json", #"{"version": 1, "name": "ec2-sandbox", "providers": {"sim": {"type": "simulated", "connectivity": "L3"}}, "apps": {}}"#)
        firm.write("state/README", "")
        let seeded = try firm.run(["apply", "seed/seed.json", "--auto-approve"])
        #expect(seeded.code == 0, "\(seeded.output)")
        return firm.read("state/ec2-sandbox.state.json")
    }

    @Test("an etcd answer over the size limit is called that, naming the key, and is not blamed on the members")
    func hugeAnswer() throws {
        let server = try HostileServer("huge")
        defer { server.stop() }
        let firm = FirmProcess()
        defer { firm.remove() }
        let run = try runBounded(firm, ["show", "--sandbox", "lab", "--state", "etcd://127.0.0.1:\(server.port)/firm"])
        #expect(run.code == 1, "\(run.output)")
        #expect(run.stderr.contains("answered /v3/kv/range for \"/firm/lab/\": the answer is larger than 64 MB"), "\(run.stderr)")
        #expect(!run.stderr.contains("no etcd member answered") && !run.stderr.contains("chunk size"), "\(run.stderr)")
    }

    @Test("a flood of interim 100 Continue answers is a clear error, not a crash")
    func continueFlood() throws {
        let server = try HostileServer("continue-flood")
        defer { server.stop() }
        let firm = FirmProcess()
        defer { firm.remove() }
        let run = try runBounded(firm, ["show", "--sandbox", "lab", "--state", "etcd://127.0.0.1:\(server.port)/firm"])
        #expect(run.code == 1, "\(run.output)")
        #expect(run.stderr.contains("more than 16 interim (1xx) answers"), "\(run.stderr)")
    }

    @Test("an answer nobody asked for, waiting on a kept connection, is never read as the next request's: the connection is dropped")
    func strayAnswer() async throws {
        let server = try HostileServer("stray")
        defer { server.stop() }
        let client = HTTP1Client(host: "127.0.0.1", port: server.port)
        let first = try await client.post("/v3/kv/range", body: Array(#"{"key": "L2Zpcm0v", "range_end": "L2Zpcm0w"}"#.utf8))
        #expect(String(decoding: first.body, as: UTF8.self).contains(#""kvs": []"#))
        // The stray comes 50 ms after the answer; the next request once it has come.
        #expect(waitUntil { server.output.soFar.contains("stray sent") }, "the server sent its stray answer")
        let second = try await client.post("/v3/kv/txn", body: Array(#"{"compare": [], "success": []}"#.utf8))
        let text = String(decoding: second.body, as: UTF8.self)
        #expect(text.contains(#""succeeded": true"#) && !text.contains(#""revision": "99""#), "the txn's own answer, not the stray: \(text)")
    }

    /// blueprints/ec2-sandbox.json against the hostile server, with `extra` settings.
    static func ec2Blueprint(port: Int, extra: String = "") throws -> String {
        try String(contentsOf: ProcessDriverTests.root.appendingPathComponent("blueprints/ec2-sandbox.json"), encoding: .utf8)
            .replacingOccurrences(of: "\"endpoint\": \"http://127.0.0.1:5055\"", with: "\"endpoint\": \"http://127.0.0.1:\(port)\"" + extra)
    }

    static let awsEnv = ["AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"]

    @Test("EC2 answers that end with HTTP trailers are read, where URLSession stopped the process")
    func trailers() throws {
        let server = try HostileServer("ec2-trailers")
        defer { server.stop() }
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("lab.json", try Self.ec2Blueprint(port: server.port))
        _ = try Self.seedEmptyState(firm)
        let drift = try runBounded(firm, ["drift", "lab.json"], environment: Self.awsEnv)
        #expect(drift.code == 0, "\(drift.output)")
        #expect(!drift.output.contains("Fatal error"))
    }

    @Test("an EC2 endpoint that trickles its answer, or never answers, times out at the call's deadline, saying so", arguments: ["trickle", "silent"])
    func deadline(_ mode: String) throws {
        let server = try HostileServer(mode)
        defer { server.stop() }
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("lab.json", try Self.ec2Blueprint(port: server.port, extra: ", \"requestTimeout\": \"1s\""))
        _ = try Self.seedEmptyState(firm)
        let drift = try runBounded(firm, ["drift", "lab.json"], environment: Self.awsEnv, limit: .seconds(60))
        #expect(drift.code == 1, "\(drift.output)")
        #expect(drift.stderr.contains("timed out after 1.00s waiting for 127.0.0.1:\(server.port)"), "\(drift.stderr)")
    }
}
