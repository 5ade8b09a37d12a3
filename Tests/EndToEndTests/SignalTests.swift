import Foundation
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
import FirmTestSupport

/// SIGHUP, a closed stdout, and readers during a running apply.
@Suite("End to end: signals, pipes and running applies", .serialized)
struct SignalTests {
    let crash = CrashSafetyTests()

    @Test("SIGHUP mid-apply stops it gracefully: running actions finish, the state is saved, exit 129")
    func hangup() async throws {
        let bed = try TestBed(.local)
        defer { bed.stop() }
        let firm = bed.firm
        let (process, out, err) = try crash.startSlowApply(bed)
        crash.waitForStart(bed)
        kill(process.processIdentifier, SIGHUP)
        process.waitUntilExit()
        let output = out.text() + err.text()
        #expect(process.terminationStatus == 129, "\(output)")
        #expect(output.contains("SIGHUP received"))
        let state = try StateStore.load(StatePaths(snapshot: firm.path("state/slow.state.json")), blueprint: "slow").state
        #expect(state.intents.isEmpty, "in-flight actions finished and were recorded")
        #expect(try await Torture.check(firm, name: "slow").isEmpty, "every VM is in the state")
    }

    @Test("a closed stdout (as with | head) stops an apply gracefully, with the state saved, exit 141")
    func closedStdout() async throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("slow.json", Torture.blueprint(count: 12, variant: 0, latency: #"{"deploy": "600ms"}"#, name: "slow"))
        // Read until the first deploy has finished, as `head` would, then go away mid-apply.
        let (process, errBox) = try Self.readThenClose(firm, ["apply", "slow.json", "--auto-approve", "--parallelism", "4"]) { $0.contains("done    + deploy") }
        process.waitUntilExit()
        #expect(process.terminationStatus == 141, "\(errBox.text())")
        #expect(errBox.text().contains("a closed stdout received"))
        let state = try StateStore.load(StatePaths(snapshot: firm.path("state/slow.state.json")), blueprint: "slow").state
        #expect(state.intents.isEmpty)
        #expect(state.apps.count >= 1 && state.apps.count < 12, "it stopped mid-apply: \(state.apps.count) apps")
        #expect(try await Torture.check(firm, name: "slow").isEmpty, "every VM is in the state")
        let lock = try await StateLock.acquire(StatePaths(snapshot: firm.path("state/slow.state.json")), operation: "test")
        lock.release()
    }

    @Test("plan and drift during a running apply say it runs, and never call its deploys interrupted")
    func readersDuringApply() async throws {
        let bed = try TestBed(.local)
        defer { bed.stop() }
        let firm = bed.firm
        let (process, out, err) = try crash.startSlowApply(bed, deploy: "2s")
        defer { kill(process.processIdentifier, SIGKILL); process.waitUntilExit(); _ = out.text(); _ = err.text() }
        crash.waitForStart(bed)
        // Wait until the apply's intents are durable, so that a plan sees them.
        var plan = FirmProcess.Result(code: 0, stdout: "", stderr: "")
        waitUntil {
            plan = (try? firm.run(["plan", "slow.json"])) ?? plan
            return plan.stderr.contains("in flight")
        }
        #expect(plan.code == 0, "\(plan.output)")
        #expect(plan.stderr.contains("An apply is running (apply by"), "\(plan.stderr)")
        #expect(plan.stderr.contains("in flight, not interrupted: deploy app."), "\(plan.stderr)")
        #expect(!plan.stdout.contains("Recovered from an interrupted run"), "\(plan.stdout)")
        let drift = try firm.run(["drift", "slow.json", "--json"])
        let report = try JSONReader.parse(drift.stdout).plain
        #expect(report["running"]?.stringValue?.contains("An apply is running") == true, "\(drift.output)")
        #expect(report["recovered"] == .array([]))
        #expect(report["items"]?.arrayValue?.contains { $0["kind"] == "unmanaged" } == false, "in-flight deploys are not unmanaged: \(drift.stdout)")
    }

    @Test("an apply whose stdout nobody reads runs every action meanwhile, and writes all its lines in order once the pipe is read")
    func stalledStdout() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        // 300 apps: the plan (about 53 KB) fits in a pipe (64 KB), their progress lines (about
        // 90 KB more) do not, so the pipe fills during the apply.
        let apps = (0..<300).map { #""app\#($0)": {"deploymentPath": {"provider": "sim", "deploymentType": "small"}}"# }.joined(separator: ",\n")
        firm.write("big.json", #"{"version": 1, "name": "big", "providers": {"sim": {"type": "simulated", "settings": {"cidr": "10.9.0.0/20"}}}, "apps": {\#(apps)}}"#)
        let (process, out, err) = try firm.start(["apply", "big.json", "--auto-approve"])
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        let errBox = ReadBox(err.fileHandleForReading)
        // Nobody reads stdout yet: every action still runs and is recorded, which another firm
        // sees (a plan says there is nothing left to do). A generous bound, not a timing.
        var plan = FirmProcess.Result(code: 0, stdout: "", stderr: "")
        let finished = waitUntil(.seconds(120)) {
            plan = (try? firm.run(["plan", "big.json", "--refresh=false"])) ?? plan
            if plan.stdout.contains("No changes.") { return true }
            usleep(200_000)
            return false
        }
        #expect(finished, "the apply went on while its stdout was full: \(plan.stdout.split(separator: "\n").last { $0.contains("Plan:") } ?? "")")
        #expect(process.isRunning, "firm writes everything before it exits")
        let outBox = ReadBox(out.fileHandleForReading)
        #expect(process.waitUntilExit(limit: .seconds(60)), "firm ends once its stdout is read")
        let stdout = outBox.text()
        #expect(process.terminationStatus == 0, "\(errBox.text())")
        let lines = stdout.split(separator: "\n", omittingEmptySubsequences: false)
        let done = lines.filter { $0.contains("] done    ") }
        #expect(done.count == 900, "every action's line is there: \(done.count)")
        #expect(lines.filter { $0.contains("] start   ") }.count == 900)
        let preamble = lines.firstIndex { $0.hasPrefix("Firmament will perform these actions") }
        #expect(preamble != nil && preamble! < lines.firstIndex { $0.contains("] start   ") }!, "the plan comes first")
        let summary = lines.firstIndex { $0.hasPrefix("Apply complete") }
        #expect(summary != nil && lines.lastIndex { $0.contains("] done    ") }! < summary!, "the summary comes after every progress line")
        #expect(stdout.hasSuffix("900 done, 0 failed, 0 skipped.\n"), "\(stdout.suffix(200))")
    }

    @Test("a second signal exits even while stdout's reader reads nothing, and says why on stderr")
    func secondSignalWithStalledStdout() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        // The plan of 400 apps (about 70 KB) is more than the pipe holds.
        let apps = (0..<400).map { #""app\#($0)": {"deploymentPath": {"provider": "sim", "deploymentType": "small"}}"# }.joined(separator: ",\n")
        firm.write("big.json", #"{"version": 1, "name": "big", "providers": {"sim": {"type": "simulated", "settings": {"cidr": "10.9.0.0/20", "latency": {"deploy": "2s"}}}}, "apps": {\#(apps)}}"#)
        let (process, out, err) = try firm.start(["apply", "big.json", "--auto-approve"])
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) }; try? out.fileHandleForReading.close() }
        let errBox = ReadBox(err.fileHandleForReading)
        waitUntil { firm.read(".firm/sim/sim.world")?.contains("pending") ?? false }
        kill(process.processIdentifier, SIGINT)
        usleep(300_000)
        kill(process.processIdentifier, SIGTERM)
        #expect(process.waitUntilExit(limit: .seconds(30)), "the second signal ended firm")
        let stderr = errBox.text()
        #expect([130, 143].contains(process.terminationStatus), "\(stderr)")
        #expect(stderr.contains("firm: stopped by SIG"), "\(stderr)")
    }

    /// Starts firm with stdout on a pipe, reads until `until` says enough, closes the pipe.
    static func readThenClose(_ firm: FirmProcess, _ arguments: [String], until: @escaping (String) -> Bool) throws -> (Process, ReadBox) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: FirmProcess.binary)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: firm.directory)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let errBox = ReadBox(err.fileHandleForReading)
        try process.run()
        var seen = Data()
        while !until(String(decoding: seen, as: UTF8.self)) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen.append(chunk)
        }
        try out.fileHandleForReading.close()
        return (process, errBox)
    }

    @Test("plan | head -1 ends with 141 through EPIPE, not a signal, whatever the providers")
    func planIntoHead() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        // Enough apps that the plan is larger than a pipe holds.
        let apps = (0..<3000).map { #", "app\#($0)": {"deploymentPath": {"provider": "sim", "deploymentType": "small"}}"# }.joined()
        firm.write("lab.json", Blueprints.lab(extraApps: apps))
        let (process, errBox) = try Self.readThenClose(firm, ["plan", "lab.json"]) { $0.contains("\n") }
        process.waitUntilExit()
        #expect(process.terminationReason == .exit, "firm ignores SIGPIPE from its start: \(errBox.text())")
        #expect(process.terminationStatus == 141)
    }
}
