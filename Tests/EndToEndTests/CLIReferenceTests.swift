import Foundation
import Testing
import FirmTestSupport

/// docs/cli.md and `firm help` describe the same options: every option a command's help lists
/// is in that command's section of cli.md (or among the options cli.md gives every command), and
/// every option a section names is one the command takes.
@Suite("The CLI reference matches firm help")
struct CLIReferenceTests {
    /// Options cli.md describes once, for every command that takes them, before its sections.
    static let global: Set<String> = ["--help", "--state", "--sandbox", "--lock-ttl"]

    /// A section may name another command's option, as in "apply the plan with `firm apply
    /// FILE --parallelism 5`": such mentions are listed here, each with why.
    static let elsewhere: [String: Set<String>] = [
        // "waiting out the TTL (--lock-timeout) is enough": the waiting command's option.
        "force-unlock": ["--lock-timeout"],
    ]

    static func options(in text: String) -> Set<String> {
        let regex = try! NSRegularExpression(pattern: #"(?<![\w#-])--[a-z][a-z0-9-]*"#)
        let range = NSRange(text.startIndex..., in: text)
        return Set(regex.matches(in: text, range: range).compactMap { Range($0.range, in: text).map { String(text[$0]) } })
    }

    /// cli.md's sections by command: the text under each `## firm NAME …` heading.
    static func sections(_ markdown: String) -> [String: String] {
        var result: [String: String] = [:]
        var current: [String] = []
        var text = ""
        func flush() { for name in current { result[name, default: ""] += text } }
        for line in markdown.components(separatedBy: "\n") {
            if line.hasPrefix("## ") {
                flush()
                text = line + "\n"
                // "## firm version, firm help [COMMAND]" is two commands' section.
                current = line.components(separatedBy: "firm ").dropFirst().compactMap { $0.split(separator: " ").first.map { String($0).trimmingCharacters(in: CharacterSet(charactersIn: ",")) } }
                continue
            }
            text += line + "\n"
        }
        flush()
        return result
    }

    @Test("each command's options in firm help and in docs/cli.md are the same")
    func optionsMatch() throws {
        let markdown = try String(contentsOf: TutorialTests.root.appendingPathComponent("docs/cli.md"), encoding: .utf8)
        let sections = Self.sections(markdown)
        let firm = FirmProcess()
        defer { firm.remove() }
        let overview = try firm.run(["help"]).stdout
        let commands = overview.components(separatedBy: "Commands:").last?.components(separatedBy: "\n")
            .filter { $0.hasPrefix("  ") }.compactMap { $0.split(separator: " ").first.map(String.init) } ?? []
        #expect(commands.count >= 15, "the commands were listed: \(overview)")
        for command in commands {
            let help = try firm.run(["help", command])
            #expect(help.code == 0, "\(command): \(help.output)")
            let listed = Self.options(in: help.stdout.components(separatedBy: "\nOptions:\n").dropFirst().joined())
            guard let section = sections[command] else {
                Issue.record("docs/cli.md has no section for firm \(command)")
                continue
            }
            let documented = Self.options(in: section)
            let undocumented = listed.subtracting(documented).subtracting(Self.global)
            #expect(undocumented.isEmpty, "firm help \(command) lists \(undocumented.sorted()), which docs/cli.md's section does not name")
            // Options named in the usage line and the details count too: `--` forms only.
            let known = listed.union(Self.options(in: help.stdout.components(separatedBy: "\nOptions:\n").first ?? ""))
            let unknown = documented.subtracting(known).subtracting(Self.global).subtracting(Self.elsewhere[command] ?? [])
            #expect(unknown.isEmpty, "docs/cli.md's section for firm \(command) names \(unknown.sorted()), which firm help \(command) does not list")
        }
    }
}
