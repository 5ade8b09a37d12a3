import Foundation
import Testing
import FirmTestSupport
import FirmBase

/// docs/tutorial.md, run as a newcomer would: each section's commands in order, in a fresh
/// folder with the repository's blueprints, with `firm` on PATH. Every command must exit 0 and
/// print the lines the tutorial quotes (durations and times masked).
@Suite("The tutorial", .serialized)
struct TutorialTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// What one section's commands printed: each step's output and exit status.
    struct Ran {
        var outputs: [(output: String, code: Int)]
    }

    @Test("every command of the tutorial runs, in order, and prints what the tutorial quotes")
    func tutorialHolds() async throws {
        let markdown = try String(contentsOf: Self.root.appendingPathComponent("docs/tutorial.md"), encoding: .utf8)
        let script = TutorialScript(markdown: markdown)
        #expect(script.sections.count >= 10, "the tutorial's sections were found")
        let folder = TempDirectory()
        defer { folder.remove() }
        try FileManager.default.copyItem(atPath: Self.root.appendingPathComponent("blueprints").path, toPath: folder.file("blueprints"))
        folder.write("state/README.md", "states live here\n")
        let moto = ProcessInfo.processInfo.environment["FIRM_MOTO_SERVER"]
        var ranCommands = 0
        for section in script.sections where !section.steps.isEmpty {
            switch section.number {
            case 4:
                // "Edit blueprints/quickstart.json: set "power": "off" on web, and change db's
                // deploymentType to postgres-16."
                try edit(folder.file("blueprints/quickstart.json")) { apps in
                    apps["web"]?["power"] = "off"
                    var path = apps["db"]?["deploymentPath"] as? [String: Any] ?? [:]
                    path["deploymentType"] = "postgres-16"
                    apps["db"]?["deploymentPath"] = path
                }
            case 12:
                // "Add a second app to blueprints/quickstart.json that deploys from it."
                try edit(folder.file("blueprints/quickstart.json")) { apps in
                    apps["web2"] = ["deploymentPath": ["provider": "sim", "deploymentType": "ubuntu-22.04-small",
                                                       "attributes": ["image": ["snapshot": "web-golden"]]],
                                    "attributes": ["User": "ubuntu"]]
                }
            case 7 where moto == nil:
                continue  // needs moto's server (scripts/test sets FIRM_MOTO_SERVER)
            case 8:
                continue  // the linux section needs root and names namespaces the reader fills in
            default: break
            }
            // A section runs for seconds: it waits on a queue of its own, not on a thread of
            // the cooperative pool, which other tests' waits need.
            let path = folder.path
            let ran = try await DispatchQueue(label: "tutorial").perform { try self.run(section, in: path, moto: moto) }
            for (step, result) in zip(section.steps, ran.outputs) {
                ranCommands += 1
                #expect(result.code == 0, "§\(section.number) `\(step.command)` exited \(result.code):\n\(result.output)")
                let missing = TutorialScript.missing(step.expected, in: result.output)
                #expect(missing.isEmpty, "§\(section.number) `\(step.command)` did not print \(missing):\n\(result.output)")
            }
            #expect(ran.outputs.count == section.steps.count, "§\(section.number): every command ran")
        }
        #expect(ranCommands >= 15, "the tutorial's commands ran (\(ranCommands))")
    }

    @Test("a quoted line the output lacks is reported, with durations, times and blanks masked")
    func matching() {
        let output = "[   79ms] start   ~ refresh IP app.web\nApply complete in 104ms: 9 done, 0 failed, 0 skipped.\nbob\tquickstart\t4\t2026-12-06T10:00:00Z\tnever\tactive"
        #expect(TutorialScript.missing(["[   12ms] start   ~ refresh IP app.web", "...", "Apply complete in 1.5s: 9 done, 0 failed, 0 skipped.",
                                        "bob      quickstart  4     …                     never                 active"], in: output).isEmpty)
        #expect(TutorialScript.missing(["Apply complete in 104ms: 8 done, 0 failed, 0 skipped."], in: output).count == 1)
        #expect(TutorialScript.missing(["bob … active … quickstart"], in: output).count == 1, "pieces must come in order")
    }

    /// Runs a section's commands in one bash, so that `export` and `&` carry from one command
    /// to the next as in a terminal; each command's output (stdout and stderr) is cut out
    /// between markers. Background jobs are killed when the shell exits.
    func run(_ section: TutorialScript.Section, in folder: String, moto: String?) throws -> Ran {
        let bin = URL(fileURLWithPath: FirmProcess.binary).deletingLastPathComponent().path
        var text = "set +e\ntrap 'kill -9 $(jobs -p) 2>/dev/null' EXIT\nexport PATH=\(bin):$PATH\nunset FIRM_SANDBOX FIRM_STATE\n"
        for (i, step) in section.steps.enumerated() {
            var command = step.command
            if command.contains("pip install") { command = "true" }  // the venv is scripts/test's
            if let moto, command.contains("moto_server") {
                command = command.replacingOccurrences(of: ".venv/bin/moto_server", with: moto).replacingOccurrences(of: " &", with: " >/dev/null 2>&1 &")
                command += "\nfor i in $(seq 300); do python3 -c \"import socket; socket.create_connection(('127.0.0.1', $PORT), 0.2)\" 2>/dev/null && break; sleep 0.1; done"
            }
            text += "echo '@@step \(i)'\n{\n\(command)\n} </dev/null 2>&1\necho \"@@code $?\"\n"
        }
        let scriptFile = folder + "/.tutorial-section-\(section.number).sh"
        try text.write(toFile: scriptFile, atomically: true, encoding: .utf8)
        let result = try runTool("/bin/bash", [scriptFile], in: folder)
        var outputs: [(output: String, code: Int)] = []
        var current: [String]?
        for line in result.output.components(separatedBy: "\n") {
            if line.hasPrefix("@@step ") {
                current = []
            } else if line.hasPrefix("@@code "), let lines = current {
                outputs.append((lines.joined(separator: "\n"), Int(line.dropFirst(7)) ?? -1))
                current = nil
            } else {
                current?.append(line)
            }
        }
        return Ran(outputs: outputs)
    }

    /// Edits a blueprint's apps as a reader would in an editor.
    func edit(_ path: String, _ change: (inout [String: [String: Any]]) -> Void) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        var document = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        var apps = try #require(document["apps"] as? [String: [String: Any]])
        change(&apps)
        document["apps"] = apps
        try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys]).write(to: URL(fileURLWithPath: path))
    }
}
