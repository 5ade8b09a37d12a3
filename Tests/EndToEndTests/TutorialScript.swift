import Foundation

/// The commands docs/tutorial.md shows, section by section, with the output it quotes after
/// each: what a newcomer types, and what the tutorial promises they will see.
struct TutorialScript {
    struct Step {
        /// The command line, as typed after `$ `.
        var command: String
        /// The lines the tutorial quotes after it; `...` and `…` stand for lines left out.
        var expected: [String]
    }

    struct Section {
        /// The heading's number (`## 3. …` is 3).
        var number: Int
        var title: String
        var steps: [Step]
    }

    var sections: [Section]

    /// Reads the `$ `-prefixed commands of each fenced block, and the lines after each.
    init(markdown: String) {
        var sections: [Section] = []
        var inBlock = false
        var step: Step?
        func flush() {
            if let s = step, !sections.isEmpty { sections[sections.count - 1].steps.append(s) }
            step = nil
        }
        for line in markdown.components(separatedBy: "\n") {
            if line.hasPrefix("```") {
                if inBlock { flush() }
                inBlock.toggle()
                continue
            }
            if !inBlock, line.hasPrefix("## ") {
                let heading = line.dropFirst(3)
                let number = Int(heading.prefix { $0.isNumber }) ?? 0
                sections.append(Section(number: number, title: String(heading), steps: []))
                continue
            }
            guard inBlock else { continue }
            if line.hasPrefix("$ ") {
                flush()
                step = Step(command: String(line.dropFirst(2)), expected: [])
            } else if step != nil {
                step!.expected.append(line)
            }
        }
        self.sections = sections
    }

    /// Output with what varies from run to run masked: durations (`104ms`, `1.2s`), UTC times,
    /// and runs of blanks (a table is tab-separated when piped, aligned on a terminal).
    static func masked(_ text: String) -> String {
        var out = text
        let rules: [(String, String)] = [
            (#"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"#, "<time>"),
            (#"\b\d+(\.\d+)?(ms|µs|s)\b"#, "<duration>"),
            (#"[ \t]+"#, " "),
        ]
        for (pattern, replacement) in rules {
            out = out.replacingOccurrences(of: pattern, with: replacement, options: .regularExpression)
        }
        return out.trimmingCharacters(in: .whitespaces)
    }

    /// The quoted lines that `output` lacks. A quoted line is found when some output line holds
    /// its pieces (split at `…`) in order, after masking; `...` and `…` alone match anything.
    static func missing(_ expected: [String], in output: String) -> [String] {
        let lines = output.components(separatedBy: "\n").map(masked)
        return expected.filter { line in
            let want = masked(line)
            if want.isEmpty || want == "..." || want == "…" { return false }
            let pieces = want.components(separatedBy: "…").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            return !lines.contains { have in
                var rest = Substring(have)
                for piece in pieces {
                    guard let range = rest.range(of: piece) else { return false }
                    rest = rest[range.upperBound...]
                }
                return true
            }
        }
    }
}
