import Foundation

extension EC2Race {
    /// Median, min and max of a figure over the rounds.
    struct Spread {
        var median: Double
        var min: Double
        var max: Double

        init?(_ values: [Double]) {
            guard !values.isEmpty else { return nil }
            let sorted = values.sorted()
            median = sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
            min = sorted[0]
            max = sorted[sorted.count - 1]
        }

        func text(_ unit: String, digits: Int = 2) -> String {
            let f = "%.\(digits)f"
            return String(format: "\(f)\(unit) (\(f)–\(f))", median, min, max)
        }
    }

    /// The markdown table of the race, with each peer's ratio to firm, the calls by API and the goals.
    static func report(_ results: [Tool: [[Phase: Run]]], tools: [Tool], setup: Setup, rounds: Int) -> String {
        let n = Double(setup.instances)
        func spread(_ tool: Tool, _ value: ([Phase: Run]) -> Double?) -> Spread? { Spread((results[tool] ?? []).compactMap(value)) }
        func seconds(_ phase: Phase) -> ([Phase: Run]) -> Double? { { $0[phase]?.seconds } }
        let cpu: ([Phase: Run]) -> Double? = { $0[.apply]?.cpu }
        let callsPerInstance: ([Phase: Run]) -> Double? = { runs in
            guard let apply = runs[.apply], let destroy = runs[.destroy] else { return nil }
            return Double(apply.calls.values.reduce(0, +) + destroy.calls.values.reduce(0, +)) / n
        }
        func row(_ title: String, _ value: @escaping ([Phase: Run]) -> Double?, unit: String, digits: Int = 2) -> String {
            let firm = spread(.firm, value)
            let cells = tools.map { tool -> String in
                guard let s = spread(tool, value) else { return "–" }
                var cell = s.text(unit, digits: digits)
                if tool != .firm, let firm, firm.median > 0 { cell += String(format: "; %.1f× firm", s.median / firm.median) }
                return cell
            }
            return "| \(title) | " + cells.joined(separator: " | ") + " |"
        }
        var lines = [
            "| \(setup.instances) instances, parallelism \(setup.parallelism) | " + tools.map(\.title).joined(separator: " | ") + " |",
            "|---|" + tools.map { _ in "---|" }.joined(),
            row("apply: every instance running with its address", seconds(.apply), unit: " s"),
            row("no-op plan, with refresh", seconds(.plan), unit: " s"),
            row("destroy", seconds(.destroy), unit: " s"),
            row("CPU of the apply (user + system)", cpu, unit: " s"),
            row("EC2 calls per instance, apply and destroy", callsPerInstance, unit: ""),
        ]
        lines.append("")
        for tool in tools {
            var byAction: [String: Int] = [:]
            for runs in results[tool] ?? [] {
                for phase in [Phase.apply, .destroy] { for (action, count) in runs[phase]?.calls ?? [:] { byAction[action, default: 0] += count } }
            }
            let roundsRun = Double(max(results[tool]?.count ?? 1, 1))
            let listed = byAction.sorted { $0.value > $1.value }.map { String(format: "%@ %.2f", $0.key, Double($0.value) / roundsRun / n) }
            lines.append("- \(tool.title), calls per instance by API (apply and destroy): " + listed.joined(separator: ", "))
        }
        lines.append("")
        lines.append("Goals, from the median of each figure:")
        func ratio(_ a: Tool, _ b: Tool, _ value: @escaping ([Phase: Run]) -> Double?) -> Double? {
            guard let x = spread(a, value)?.median, let y = spread(b, value)?.median, y > 0 else { return nil }
            return x / y
        }
        func goal(_ text: String, _ measured: Double?, _ holds: (Double) -> Bool, _ format: String = "%.2f×") -> String {
            guard let measured else { return "- \(text): not measured" }
            return "- \(text): " + String(format: format, measured) + (holds(measured) ? " (met)" : " (**not met**)")
        }
        lines.append(goal("apply at most 0.8× the script's time", ratio(.firm, .boto3, seconds(.apply)), { $0 <= 0.8 }))
        lines.append(goal("destroy at most 1.0× the script's time", ratio(.firm, .boto3, seconds(.destroy)), { $0 <= 1.0 }))
        lines.append(goal("CPU of the apply at most 3× the script's", ratio(.firm, .boto3, cpu), { $0 <= 3 }))
        lines.append(goal("EC2 calls per instance, apply and destroy, at most 1.5", spread(.firm, callsPerInstance)?.median, { $0 <= 1.5 }, "%.2f"))
        if tools.contains(.terraform) {
            for phase in Phase.allCases {
                lines.append(goal("Terraform's \(phase.rawValue) at least 10× firm's", ratio(.terraform, .firm, seconds(phase)), { $0 >= 10 }))
            }
        }
        return lines.joined(separator: "\n")
    }

    /// Replaces the race's section of docs/performance.md (between its markers, or at the end).
    static func write(_ table: String) throws {
        let begin = "<!-- ec2-race -->", end = "<!-- /ec2-race -->"
        let section = """
            \(begin)
            ## EC2: firm against a boto3 script and Terraform

            `swift run -c release firm-bench ec2-race --write-docs`: each tool, in each round, on a fresh moto \(EC2Bench.motoVersion()) behind
            a counting proxy, the tools taking turns; whole processes; median (min–max) over the rounds. The script is
            bench/ec2_race_boto3.py; Terraform is \(terraformVersion()) with hashicorp/aws from the local plugin mirror.

            \(table)
            \(end)
            """
        try DocsSection.write(section, begin: begin, end: end, what: "ec2-race")
    }

    /// `terraform version`'s first line, or "not installed".
    static func terraformVersion() -> String {
        guard let terraform = terraform() else { return "not installed" }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: terraform.binary)
        process.arguments = ["version"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        guard (try? process.run()) != nil else { return "terraform" }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? "terraform"
    }
}
