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

/// Crafted plan, lock and special files given to the built binary: a clear error, a non-zero
/// exit, nothing written, and never a crash or a hang.
@Suite("End to end: hostile files and places", .serialized)
struct HostileFileTests {
    /// The names and bytes of every file under the folder, for "nothing was written".
    static func snapshot(_ firm: FirmProcess) -> [String: Data] {
        var result: [String: Data] = [:]
        let root = URL(fileURLWithPath: firm.directory)
        for case let url as URL in FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) ?? FileManager.DirectoryEnumerator() {
            result[url.path] = (try? Data(contentsOf: url)) ?? Data()
        }
        return result
    }

    func applied(_ firm: FirmProcess) throws {
        firm.write("lab.json", Blueprints.lab())
        let apply = try firm.run(["apply", "lab.json", "--auto-approve"], environment: Blueprints.secretEnv)
        #expect(apply.code == 0, "\(apply.output)")
    }

    @Test("a saved plan whose connect lost its details is refused, naming the file; nothing runs or is written")
    func mismatchedPlan() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("lab.json", try ConnectivityTests().example("three-tier-l2.json"))
        #expect(try firm.run(["plan", "lab.json", "--out", "t.plan"]).code == 0)
        var text = try #require(firm.read("t.plan"))
        let connect = try #require(text.range(of: #""id": "connect:app.app:network.backend""#))
        text.replaceSubrange(connect, with: #""id": "connect:app.app""#)
        // Drop the first details object after it.
        if let d = text.range(of: #""details": {"#, range: connect.lowerBound..<text.endIndex), let end = text.range(of: "}", range: d.upperBound..<text.endIndex) {
            text.removeSubrange(d.lowerBound..<text.index(after: end.lowerBound))
            text = text.replacingOccurrences(of: ",\n      \n", with: "\n")
        }
        firm.write("t.plan", text)
        let before = Self.snapshot(firm)
        let result = try firm.run(["apply", "t.plan"])
        #expect(result.code == 1, "\(result.output)")
        #expect(result.stderr.contains("t.plan"), "\(result.stderr)")
        #expect(Self.snapshot(firm) == before, "nothing was written")
    }

    @Test("a no-op plan edited into a delete is refused by its digest; the VM stays")
    func editedPlan() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        try applied(firm)
        #expect(try firm.run(["plan", "lab.json", "--out", "t.plan"], environment: Blueprints.secretEnv).code == 0)
        let text = try #require(firm.read("t.plan"))
        let delete = #"[{"id": "delete:app.web", "type": "delete", "target": "app.web", "dependsOn": [], "reason": "edited", "provider": "sim"}]"#
        firm.write("t.plan", text.replacingOccurrences(of: #""actions": []"#, with: #""actions": "# + delete)
                                 .replacingOccurrences(of: #""delete": 0"#, with: #""delete": 1"#))
        #expect(firm.read("t.plan") != text)
        let result = try firm.run(["apply", "t.plan"], environment: Blueprints.secretEnv)
        #expect(result.code == 1)
        #expect(result.stderr.contains("t.plan") && result.stderr.contains("digest"), "\(result.stderr)")
        #expect(try firm.run(["plan", "lab.json", "--detailed-exitcode"], environment: Blueprints.secretEnv).code == 0, "web was not deleted")

        // A truncated plan is refused too.
        firm.write("t.plan", String(text.prefix(text.count / 2)))
        let truncated = try firm.run(["apply", "t.plan"], environment: Blueprints.secretEnv)
        #expect(truncated.code == 1)
        #expect(truncated.stderr.contains("t.plan"))
    }

    @Test("/dev/zero, a FIFO and a folder are refused at once, saying what they are")
    func specialFiles() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        #expect(mkfifo(firm.path("fifo.json"), 0o600) == 0)
        for (arguments, what) in [(["show", "/dev/zero"], "a character device"), (["apply", "/dev/zero", "--auto-approve"], "a character device"),
                                  (["plan", "fifo.json"], "a FIFO (named pipe)"), (["apply", "fifo.json", "--auto-approve"], "a FIFO (named pipe)"),
                                  (["validate", "."], "a directory")] {
            let result = try firm.run(arguments)
            #expect(result.code == 1, "\(arguments)")
            #expect(result.stderr.contains(what), "\(arguments): \(result.stderr)")
        }
    }

    @Test("a lock holder's pid beyond Int32 never traps: the held-lock message and force-unlock both answer")
    func hugePidInLock() async throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("lab.json", Blueprints.lab())
        let paths = StatePaths(snapshot: firm.path("state/lab.state.json"))
        let lock = try await StateLock.acquire(paths, operation: "apply")
        defer { lock.release() }
        let bogus = #"{"id": "x", "operation": "apply", "who": "me@host", "pid": 99999999999, "created": "now"}"#
        let fd = open(paths.lock, O_WRONLY)
        _ = bogus.withCString { write(fd, $0, strlen($0)) }
        close(fd)
        let apply = try firm.run(["apply", "lab.json", "--auto-approve"], environment: Blueprints.secretEnv)
        #expect(apply.code == 3, "\(apply.output)")
        #expect(apply.stderr.contains("locked"))
        let unlock = try firm.run(["force-unlock", "lab.json", "x"])
        #expect(unlock.code == 3, "a held lock is never broken: \(unlock.output)")
    }

    @Test("a missing secret refuses the apply before anything is written, so a saved plan stays fresh")
    func missingSecretWritesNothing() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        try applied(firm)
        firm.write("lab.json", Blueprints.lab(dbType: "postgres-16"))
        #expect(try firm.run(["plan", "lab.json", "--out", "t.plan"]).code == 0)
        let before = Self.snapshot(firm)
        let refused = try firm.run(["apply", "t.plan"], unset: ["LAB_DB_PASSWORD"])
        #expect(refused.code == 1)
        #expect(refused.stderr.contains("LAB_DB_PASSWORD") && refused.stderr.contains("nothing was changed"))
        #expect(Self.snapshot(firm) == before, "nothing was written")
        let applied = try firm.run(["apply", "t.plan"], environment: Blueprints.secretEnv)
        #expect(applied.code == 0, "the saved plan is still fresh: \(applied.output)")
    }

    @Test("a saved plan remembers its state and blueprint: it applies from another folder, and refuses another state, naming both")
    func planFromElsewhere() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        try FileManager.default.createDirectory(atPath: firm.path("proj"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: firm.path("other"), withIntermediateDirectories: true)
        firm.write("proj/lab.json", Blueprints.lab().replacingOccurrences(of: #""cidr": "10.9.0.0/24""#, with: #""cidr": "10.9.0.0/24", "dataDir": "\#(firm.path("sim"))""#))
        #expect(try firm.run(["plan", "proj/lab.json", "--state", "proj/custom.state.json", "--out", "t.plan"]).code == 0)
        let other = try firm.run(["apply", "t.plan", "--state", "other/x.state.json"], environment: Blueprints.secretEnv)
        #expect(other.code == 4, "\(other.output)")
        #expect(other.stderr.contains("proj/custom.state.json") && other.stderr.contains("other/x.state.json"), "\(other.stderr)")
        #expect(!firm.exists("other/x.state.json"))

        // From another folder, with no --state: the plan's own state is used.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: FirmProcess.binary)
        process.arguments = ["apply", "../t.plan"]
        process.currentDirectoryURL = URL(fileURLWithPath: firm.path("other"))
        process.environment = ProcessInfo.processInfo.environment.merging(Blueprints.secretEnv) { $1 }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        let box = ReadBox(out.fileHandleForReading)
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(box.text())")
        #expect(firm.exists("proj/custom.state.json"))
        #expect(!firm.exists("other/state"))
        #expect(try firm.run(["plan", "proj/lab.json", "--state", "proj/custom.state.json", "--detailed-exitcode"]).code == 0)
    }

    @Test("plan --destroy lists every delete, and show PLANFILE renders a saved plan")
    func destroyPlanAndShow() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        try applied(firm)
        let plan = try firm.run(["plan", "lab.json", "--destroy", "--out", "d.plan"], environment: Blueprints.secretEnv)
        #expect(plan.code == 0)
        for app in ["web", "api", "db"] { #expect(plan.stdout.contains("- delete app.\(app)"), "\(plan.stdout)") }
        #expect(plan.stdout.contains("is in the state but no longer in the blueprint") == false, "destroy gives its own reason")
        let show = try firm.run(["show", "d.plan"])
        #expect(show.code == 0)
        #expect(show.stdout.contains("- delete app.db"))
        #expect(show.stdout.contains("Plan: 0 to deploy, 0 to replace, 3 to delete"))
        let json = try firm.run(["show", "d.plan", "--json"])
        #expect(try JSONReader.parse(json.stdout).plain["summary"]?["delete"] == 3)
        #expect(try firm.run(["apply", "d.plan"], environment: Blueprints.secretEnv).code == 0)
        #expect(try firm.run(["state", "list", "lab.json"]).stdout.isEmpty)
    }

    @Test("--lock-timeout gives up when the lock stays held, saying who holds it")
    func lockTimeoutExpires() async throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("lab.json", Blueprints.lab())
        let lock = try await StateLock.acquire(StatePaths(snapshot: firm.path("state/lab.state.json")), operation: "apply")
        defer { lock.release() }
        let result = try firm.run(["apply", "lab.json", "--auto-approve", "--lock-timeout", "300ms"], environment: Blueprints.secretEnv)
        #expect(result.code == 3)
        #expect(result.stderr.contains(lock.info.id))
    }
}
