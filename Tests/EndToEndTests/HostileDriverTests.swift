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

/// Drivers that push secrets, junk, escape sequences and deep data at firm, or stop reading.
@Suite("End to end: hostile drivers", .serialized)
struct HostileDriverTests {
    static let misbehaving = ProcessDriverTests.misbehaving
    static let token = "token-very-secret-42"
    static let password = "pw-from-env-7731"
    static let env = ["FC_TOKEN": token, "APP_PW": password]

    /// One app, `db`, with a secret attribute and a deployment attribute of `padding` bytes.
    static func blueprint(misbehave: String, timeouts: String = "{}", padding: Int = 0, retries: Int = 5) -> String {
        """
        {"version": 1, "name": "hostile",
         "providers": {"fc": {"type": "process", "connectivity": "L2", "command": ["python3", "\(misbehaving)"],
                              "settings": {"stateFile": "cloud.json", "connectivity": "L2", "token": {"env": "FC_TOKEN"}, "misbehave": "\(misbehave)"},
                              "timeouts": \(timeouts), "retries": \(retries)}},
         "apps": {"db": {"deploymentPath": {"provider": "fc", "deploymentType": "pg", "attributes": {"Padding": "\(String(repeating: "x", count: padding))"}},
                         "attributes": {"Password": {"env": "APP_PW"}}, "waitForIP": false}}}
        """
    }

    @Test("secrets a driver echoes in attributes, additional data, vmDetails, errors and stderr are redacted before they are stored or shown")
    func echoedSecrets() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("lab.json", Self.blueprint(misbehave: "deploy:db=echo"))
        let apply = try firm.run(["apply", "lab.json", "--auto-approve", "-v"], environment: Self.env)
        #expect(apply.code == 0, "\(apply.output)")
        #expect(apply.stderr.contains("misbehaving: my secrets are"), "the driver's stderr is shown with -v")
        let state = try #require(firm.read("state/hostile.state.json"))
        #expect(state.contains("Echo0"), "the echoed attributes are stored, redacted")
        let stored = try JSONReader.parse(state).plain["apps"]?["db"]?["additionalData"]
        #expect(stored?["flag"] == .bool(true), "deployedAppAdditionalData keeps a boolean, as cp-core's dict allows")
        #expect(stored?["cores"] == .number("4"))
        #expect(state.contains(Secrets.mask))
        let show = try firm.run(["show", "lab.json"], environment: Self.env)
        let showJSON = try firm.run(["show", "lab.json", "--json"], environment: Self.env)
        let plan = try firm.run(["plan", "lab.json", "-v"], environment: Self.env)
        for text in [apply.output, state, show.output, showJSON.output, plan.output] {
            #expect(!text.contains(Self.token))
            #expect(!text.contains(Self.password))
        }

        // A failure whose message and stderr carry the secrets.
        firm.write("lab.json", Self.blueprint(misbehave: "powerOff:db=echoError"))
        let text = Self.blueprint(misbehave: "powerOff:db=echoError").replacingOccurrences(of: #""waitForIP": false"#, with: #""waitForIP": false, "power": "off""#)
        firm.write("lab.json", text)
        let failed = try firm.run(["apply", "lab.json", "--auto-approve", "-v"], environment: Self.env)
        #expect(failed.code == 1)
        #expect(failed.stdout.contains("refused: "), "\(failed.output)")
        #expect(!failed.output.contains(Self.token))
    }

    @Test("a driver answer nested deeper than the state can hold fails the deploy, naming the driver, and the state stays readable")
    func deepAnswer() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("lab.json", Self.blueprint(misbehave: "deploy:db=deep"))
        let apply = try firm.run(["apply", "lab.json", "--auto-approve"], environment: Self.env)
        #expect(apply.code == 1)
        #expect(apply.stdout.contains("vmDetailsData nests deeper than"), "\(apply.output)")
        #expect(apply.stdout.contains("provider \"fc\""))
        let plan = try firm.run(["plan", "lab.json"], environment: Self.env)
        #expect(plan.code == 0, "every command can still read the state: \(plan.output)")
        #expect(plan.stdout.contains("Recovered from an interrupted run") || plan.stdout.contains("+ deploy app.db"))
    }

    @Test("an address with an escape sequence is refused, and driver text reaches the terminal with its control characters escaped")
    func escapeSequences() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("lab.json", Self.blueprint(misbehave: "deploy:db=badAddress"))
        let apply = try firm.run(["apply", "lab.json", "--auto-approve", "-v"], environment: Self.env)
        #expect(apply.code == 1)
        #expect(apply.stdout.contains("is not an IPv4 or IPv6 address"), "\(apply.output)")
        #expect(!apply.output.contains("\u{1B}"), "no raw escape reaches the terminal")
        #expect(apply.stderr.contains("\\u{1b}]0;retitled"), "the stderr line is shown escaped")
        let state = try #require(firm.read("state/hostile.state.json"), "the failed deploy's intent was recorded")
        #expect(!state.contains("2J10.0.0.9"))
    }

    @Test("a driver that stops reading its stdin can't block a large request past its timeout")
    func driverStopsReading() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        // It answers initialize and then never reads again; the deploy request is 1 MiB, far more
        // than a pipe holds.
        // One try: a retry would queue another 1 MiB behind the first, and first ask findByName.
        firm.write("lab.json", Self.blueprint(misbehave: "initialize:=noread", timeouts: #"{"deploy": "1s"}"#, padding: 1 << 20, retries: 1))
        // --refresh=false: no inventory is asked for first (the driver would not read that either).
        let (process, out, err) = try firm.start(["apply", "lab.json", "--auto-approve", "--refresh=false"], environment: Self.env)
        let outBox = ReadBox(out.fileHandleForReading), errBox = ReadBox(err.fileHandleForReading)
        // A hang is forever; 60 s is only a bound that a loaded machine keeps.
        let ended = process.waitUntilExit(limit: .seconds(60))
        #expect(ended, "firm returned after the deploy timeout")
        #expect(process.terminationStatus == 1)
        #expect(outBox.text().contains("did not answer deploy within 1.00s"), "\(errBox.text())")
        // The driver never reads its stdin again, so it never sees it close: firm stops it
        // before exiting, rather than leave it running, orphaned.
        #expect(firm.driversLeft().isEmpty, "a driver process is still running after firm exited")
    }

    @Test("a driver that keeps crashing is started at most 4 times in one run; later actions fail without starting it")
    func restartLimit() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        let apps = ["a1", "a2", "a3", "a4", "a5"]
        let rules = apps.map { "deploy:\($0)=crash" }.joined(separator: ",")
        let text = """
            {"version": 1, "name": "crashy",
             "providers": {"fc": {"type": "process", "connectivity": "L2", "command": ["python3", "\(Self.misbehaving)"],
                                  "settings": {"stateFile": "cloud.json", "connectivity": "L2", "misbehave": "\(rules)"}}},
             "apps": {\(apps.map { #""\#($0)": {"deploymentPath": {"provider": "fc", "deploymentType": "small"}, "waitForIP": false}"# }.joined(separator: ", "))}}
            """
        firm.write("lab.json", text)
        let result = try firm.run(["apply", "lab.json", "--auto-approve", "--parallelism", "1"])
        #expect(result.code == 1)
        let lines = result.stdout.split(separator: "\n").filter { $0.contains("FAILED  + deploy") }
        #expect(lines.count == 5, "\(result.stdout)")
        #expect(lines.filter { $0.contains("exited with status 3 before answering deploy") }.count == 4, "four starts, four crashes")
        #expect(lines.filter { $0.contains("it crashed 4 times; it is not started again in this run") }.count == 1, "\(result.stdout)")
    }
}

extension HostileDriverTests {
    @Test("cancellation reaches a process driver as $/cancel for the request in flight")
    func cancelOnInterrupt() async throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("lab.json", Self.blueprint(misbehave: "deploy:db=hang"))
        let (process, out, err) = try firm.start(["apply", "lab.json", "--auto-approve", "--stop-timeout", "200ms"], environment: Self.env)
        let outBox = ReadBox(out.fileHandleForReading), errBox = ReadBox(err.fileHandleForReading)
        // Wait until the driver holds the deploy.
        #expect(waitUntil { firm.exists("hanging.log") }, "the driver got the deploy")
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        let output = outBox.text() + errBox.text()
        #expect(process.terminationStatus == 130, "\(output)")
        #expect(output.contains("cancelled"), "\(output)")
        let hung = (firm.read("hanging.log") ?? "").split(separator: "\n")
        let cancels = (firm.read("cancels.log") ?? "").split(separator: "\n")
        #expect(!hung.isEmpty && Set(hung).isSubset(of: Set(cancels)), "the driver was sent $/cancel for the deploy it held (\(hung)): \(cancels), \(output)")
    }
}
