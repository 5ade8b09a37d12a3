import Foundation
import Testing
import FirmTestSupport

/// The machine-readable side of a run, as a CI job reads it: the `--json` event stream, the
/// `--json-into` file beside the human output, `apply --timeline`, and the status line of a long
/// apply on a terminal. All on the simulated cloud, with the built `firm`.
@Suite("End to end: event stream, timeline and progress")
struct EventStreamTests {
    /// Three apps: `web`'s first deploy is throttled (`flaky`), so it is retried; `db`'s deploy
    /// fails terminally, so its power-on and IP refresh are skipped; `cache` goes through.
    static let blueprint = """
        {"version": 1, "name": "events",
         "providers": {"sim": {"type": "simulated", "retries": 3,
                               "settings": {"flaky": {"deploy": ["web"]}, "failures": {"deploy": ["db"]}}}},
         "apps": {"web": {"deploymentPath": {"provider": "sim", "deploymentType": "small"}},
                  "db": {"deploymentPath": {"provider": "sim", "deploymentType": "small"}},
                  "cache": {"deploymentPath": {"provider": "sim", "deploymentType": "small"}}}}
        """

    /// Each line as a JSON object; a line that does not parse, or lacks the envelope, is an issue.
    static func events(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> [[String: Any]] {
        text.split(separator: "\n").compactMap { line in
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else {
                Issue.record("a line is not a JSON object: \(line)", sourceLocation: sourceLocation)
                return nil
            }
            #expect(object["firm"] as? String == "event/1", "\(line)", sourceLocation: sourceLocation)
            #expect(object["type"] is String, "\(line)", sourceLocation: sourceLocation)
            #expect((object["time"] as? String).map { $0.hasSuffix("Z") && $0.count == 24 } == true, "\(line)", sourceLocation: sourceLocation)
            return object
        }
    }

    /// The stream in a form that is the same on every run: the `_ms` numbers masked, and each
    /// action's events kept in their order but grouped by action, sorted by its id. The order
    /// *between* actions is not fixed even at --parallelism 1: an action is done when its
    /// records are durable, and the next one starts while the journal writes them.
    static func normalized(_ text: String) -> String {
        let masked = text.replacingOccurrences(of: #""(\w+_ms)":-?[0-9.]+"#, with: "\"$1\":<ms>", options: .regularExpression)
        let lines = masked.split(separator: "\n").map(String.init)
        func action(_ line: String) -> String? {
            line.range(of: #""action":"[^"]*""#, options: .regularExpression).map { String(line[$0]) }
        }
        let first = lines.firstIndex { action($0) != nil } ?? lines.count
        let last = (lines.lastIndex { action($0) != nil }).map { $0 + 1 } ?? first
        let actions = lines[first..<last].enumerated().sorted { a, b in
            let x = action(a.element) ?? "", y = action(b.element) ?? ""
            return x != y ? x < y : a.offset < b.offset
        }.map(\.element)
        return (lines[..<first] + actions + lines[last...]).joined(separator: "\n") + "\n"
    }

    @Test("--json: every line parses, and a failure, a retry and the skipped dependents match the golden stream")
    func jsonStream() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("lab.json", Self.blueprint)
        let apply = try firm.run(["apply", "lab.json", "--auto-approve", "--json", "--parallelism", "1"])
        #expect(apply.code == 1, "\(apply.output)")
        let events = Self.events(apply.stdout)
        let types = events.compactMap { $0["type"] as? String }
        #expect(types.first == "lock" && types.last == "summary", "\(types)")
        #expect(types.contains("action_retry") && types.contains("action_failed") && types.contains("action_skipped"), "\(types)")
        let failure = events.first { $0["type"] as? String == "action_failed" }?["failure"]
        let failed = try #require(failure as? [String: Any])
        #expect(failed["kind"] as? String == "terminal" && failed["code"] as? String == "InjectedFailure" && failed["provider"] as? String == "sim")
        #expect(!apply.stdout.contains("Apply incomplete"), "no human text on stdout with --json")
        Golden.check(Self.normalized(apply.stdout), "events.apply.jsonl", folder: firm.directory)
    }

    @Test("--json-into FILE writes the stream to the file, and the terminal shows the same text as without it")
    func jsonInto() throws {
        var outputs: [String] = []
        for into in [false, true] {
            let firm = FirmProcess()
            defer { firm.remove() }
            firm.write("lab.json", Self.blueprint)
            let apply = try firm.run(["apply", "lab.json", "--auto-approve", "--parallelism", "1"] + (into ? ["--json-into", "events.jsonl"] : []))
            #expect(apply.code == 1, "\(apply.output)")
            // Timings are masked (with the padding before them, as wide as the time); the lines are compared sorted, as the order of one action's
            // "done" and the next one's "start" depends on when the journal's write lands.
            let text = Golden.normalized(apply.stdout, folder: firm.directory).replacingOccurrences(of: #"\[ *<duration>\]"#, with: "[<duration>]", options: .regularExpression)
            outputs.append(text.split(separator: "\n").sorted().joined(separator: "\n"))
            if into {
                let stream = try #require(firm.read("events.jsonl"))
                let events = Self.events(stream)
                #expect(events.last?["type"] as? String == "summary")
                #expect(events.contains { $0["type"] as? String == "action_retry" })
            }
        }
        #expect(outputs[0] == outputs[1])
        #expect(outputs[0].contains("Apply incomplete in <duration>: 6 done, 1 failed, 2 skipped."), "\(outputs[0])")
    }

    @Test("reconcile --json: each cycle's events, each with its sandbox, and a cycle event instead of the log line")
    func reconcileStream() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("lab.json", Self.blueprint)
        let run = try firm.run(["reconcile", "lab.json", "--every", "100ms", "--max-cycles", "2", "--json"])
        #expect(run.code == 1, "db's deploy fails in every cycle: \(run.output)")
        let events = Self.events(run.stdout)
        let cycles = events.filter { $0["type"] as? String == "cycle" }
        #expect(cycles.map { $0["cycle"] as? Int } == [1, 2], "\(run.stdout)")
        #expect(cycles.allSatisfy { $0["succeeded"] as? Bool == false && $0["terminal"] as? Bool == true && $0["sandbox"] as? String == "events" })
        #expect(events.contains { $0["type"] as? String == "plan" } && events.contains { $0["type"] as? String == "action_failed" })
        #expect(!run.stdout.contains("cycle 1:"), "no log lines with --json")
    }

    @Test("--json with --json-into, or apply --json without --auto-approve, is a usage error that changes nothing")
    func refusals() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("lab.json", Self.blueprint)
        let both = try firm.run(["apply", "lab.json", "--auto-approve", "--json", "--json-into", "events.jsonl"])
        #expect(both.code == 64 && both.stderr.contains("pass one of them"), "\(both.output)")
        let unapproved = try firm.run(["apply", "lab.json", "--json"])
        #expect(unapproved.code == 64 && unapproved.stderr.contains("--json needs --auto-approve"), "\(unapproved.output)")
        let folder = try firm.run(["apply", "lab.json", "--auto-approve", "--json-into", firm.directory])
        #expect(folder.code == 1 && folder.stderr.contains("cannot write the event stream to \(firm.directory)"), "\(folder.output)")
        #expect(!firm.exists(".firm"), "nothing was deployed")
    }

    @Test("a secret from the environment reaches no event of apply, refresh or destroy")
    func noSecrets() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("lab.json", Blueprints.lab())
        var streams: [String] = []
        for command in [["apply", "lab.json", "--auto-approve", "--json"], ["refresh", "lab.json", "--json"], ["destroy", "lab.json", "--auto-approve", "--json"]] {
            let run = try firm.run(command, environment: Blueprints.secretEnv)
            #expect(run.code == 0, "\(run.output)")
            #expect(Self.events(run.stdout).last?["type"] as? String == "summary", "\(command[0]) ends with its summary")
            streams.append(run.output)
        }
        for stream in streams { #expect(!stream.contains("hunter2")) }
    }

    @Test("apply --timeline: Chrome's Trace Event Format, spans nested in their action, the makespan the apply's wall time")
    func timeline() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        let apps = (0..<9).map { #""a\#($0)": {"deploymentPath": {"provider": "\#($0 % 3 == 0 ? "far" : "sim")", "deploymentType": "small"}}"# }
        firm.write("lab.json", """
            {"version": 1, "name": "timed",
             "providers": {"sim": {"type": "simulated", "settings": {"latency": {"deploy": "60ms", "powerOn": "30ms"}, "flaky": {"deploy": ["a1"]}}},
                           "far": {"type": "simulated", "settings": {"latency": {"deploy": "90ms"}}}},
             "apps": {\(apps.joined(separator: ", "))}}
            """)
        let apply = try firm.run(["apply", "lab.json", "--auto-approve", "--parallelism", "3", "--timeline", "trace.json", "--json-into", "events.jsonl"])
        #expect(apply.code == 0, "\(apply.output)")
        let text = try #require(firm.read("trace.json"))
        let parsed = try JSONSerialization.jsonObject(with: Data(text.utf8))
        let trace = try #require(parsed as? [String: Any])
        let all = try #require(trace["traceEvents"] as? [[String: Any]])
        let spans = all.filter { $0["ph"] as? String == "X" }
        for span in spans {
            #expect(span["name"] is String && span["ts"] is Int && span["dur"] is Int && span["pid"] is Int && span["tid"] is Int, "\(span)")
        }
        let names = all.filter { $0["ph"] as? String == "M" }.compactMap { ($0["args"] as? [String: Any])?["name"] as? String }
        #expect(names.contains("provider sim") && names.contains("provider far") && names.contains("slot 1"), "\(names)")
        func lane(_ s: [String: Any]) -> [Int] { [s["pid"] as! Int, s["tid"] as! Int] }
        func range(_ s: [String: Any]) -> ClosedRange<Int> { (s["ts"] as! Int)...((s["ts"] as! Int) + (s["dur"] as! Int)) }
        let children = ["try", "backoff", "durability"]
        let actions = spans.filter { !children.contains($0["cat"] as? String ?? "") }
        #expect(actions.count == 27, "9 deploys, power-ons and IP refreshes")
        #expect(spans.contains { $0["cat"] as? String == "backoff" } && spans.contains { $0["name"] as? String == "try 2" }, "a1's retry is nested")
        for child in spans where children.contains(child["cat"] as? String ?? "") {
            let parents = actions.filter { lane($0) == lane(child) && range($0).contains(range(child).lowerBound) && range($0).contains(range(child).upperBound) }
            #expect(parents.count == 1, "\(child) lies within exactly one action span of its lane")
        }
        for (i, a) in actions.enumerated() {
            for b in actions[(i + 1)...] where lane(a) == lane(b) {
                #expect(!range(a).overlaps(range(b)) || range(a).upperBound == range(b).lowerBound || range(b).upperBound == range(a).lowerBound,
                        "a lane holds one action at a time: \(a) \(b)")
            }
        }
        let makespan = Double(actions.map { range($0).upperBound }.max()! - actions.map { range($0).lowerBound }.min()!)
        let stream = try #require(firm.read("events.jsonl"))
        let events = Self.events(stream)
        let elapsed = try #require(events.last?["elapsed_ms"] as? Double)
        let wall = elapsed * 1000
        #expect(abs(makespan - wall) <= wall * 0.05, "makespan \(makespan) µs, the apply's wall time \(wall) µs")
        #expect((trace["otherData"] as? [String: Any])?["wall_us"] as? Int == Int(wall.rounded()))
    }

    @Test("a 2,000-app apply on a terminal shows one status line, and far fewer lines scroll than there are actions")
    func progressOnTerminal() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        let apps = (0..<2000).map { #""a\#($0)": {"deploymentPath": {"provider": "sim", "deploymentType": "small"}}"# }
        firm.write("lab.json", """
            {"version": 1, "name": "many", "providers": {"sim": {"type": "simulated", "settings": {"failures": {"deploy": ["a7"]}}}},
             "apps": {\(apps.joined(separator: ", "))}}
            """)
        // Python's pty module runs firm with a terminal as its stdout, and keeps every byte.
        let script = """
            import os, pty, sys
            out = open(sys.argv[1], "wb")
            pid, fd = pty.fork()
            if pid == 0:
                os.execv(sys.argv[2], sys.argv[2:])
            while True:
                try:
                    data = os.read(fd, 65536)
                except OSError:
                    break
                if not data:
                    break
                out.write(data)
            _, status = os.waitpid(pid, 0)
            sys.exit(os.waitstatus_to_exitcode(status))
            """
        firm.write("run-on-a-terminal.py", script)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", firm.path("run-on-a-terminal.py"), firm.path("screen.out"), FirmProcess.binary, "apply", "lab.json", "--auto-approve", "--refresh=false"]
        process.currentDirectoryURL = URL(fileURLWithPath: firm.directory)
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 1, "a7's deploy fails")
        let bytes = try #require(FileManager.default.contents(atPath: firm.path("screen.out")))
        let screen = String(decoding: bytes, as: UTF8.self)
        let lines = screen.split(separator: "\n", omittingEmptySubsequences: false).count - 1
        #expect(screen.contains("\r\u{1B}[2K") && screen.contains("Applying: "), "the status line is rewritten in place")
        #expect(screen.contains("6000 actions"), "the plan is its summary line")
        #expect(screen.contains("FAILED  + deploy app.a7"), "a failure scrolls")
        #expect(screen.contains("Apply incomplete in"), "the summary scrolls")
        #expect(lines < 30, "\(lines) lines for 6,000 actions")
    }
}
