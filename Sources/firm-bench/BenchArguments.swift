import Foundation

/// firm-bench's command line, checked before anything runs: the benchmark, its flags, and its
/// options with whole-number values. `--help`, an unknown benchmark, flag or option, or a value
/// that is not a whole number prints the usage and exits 64. Nothing rewrites docs/performance.md
/// unless `--write-docs` says so.
struct BenchArguments {
    /// What each benchmark takes: its flags and its options (each followed by a value).
    struct Command {
        var name: String
        var summary: String
        var flags: [String]
        var options: [String: String]
    }

    static let commands: [Command] = [
        Command(name: "all", summary: "in-process figures and whole firm processes on the simulated cloud (the default)",
                flags: ["--quick", "--write-docs"], options: [:]),
        Command(name: "process", summary: "whole firm processes on the simulated cloud (plans, applies, the state's size, scheduling)",
                flags: ["--quick", "--write-docs"], options: [:]),
        Command(name: "encryption", summary: "local applies in clear and with FIRM_STATE_KEY, taking turns: CPU per action of each",
                flags: [], options: ["--apps": "N (10000)", "--rounds": "N (3)"]),
        Command(name: "scheduling", summary: "critical-path against FIFO ordering of an uneven workload", flags: [], options: [:]),
        Command(name: "ec2", summary: "the ec2 provider on moto's server (FIRM_MOTO_SERVER or --moto PATH)", flags: ["--write-docs"],
                options: ["--instances": "N (200)", "--parallelism": "N (50)", "--refresh": "N (1000)", "--moto": "PATH"]),
        Command(name: "ec2-race", summary: "firm against a boto3 script and Terraform (when installed) on the same moto, interleaved rounds",
                flags: ["--write-docs", "--no-terraform"], options: ["--instances": "N (200)", "--parallelism": "N (50)", "--rounds": "N (3)", "--moto": "PATH"]),
        Command(name: "etcd", summary: "the etcd state backend (FIRM_ETCD, default /usr/bin/etcd)", flags: ["--write-docs"],
                options: ["--apps": "N (1000)", "--plan-apps": "N (10000)"]),
        Command(name: "linux", summary: "the linux provider (root): apply, no-op plan and destroy of N apps against a hand-written ip script",
                flags: ["--write-docs"], options: ["--apps": "N (200)", "--parallelism": "N (50)", "--rounds": "N (3)"]),
        Command(name: "fleet", summary: "reconcile replicas on etcd: 20, 100 and 300 sandboxes, 1 and 3 replicas (--quick: 20 and 100)",
                flags: ["--quick", "--write-docs"], options: ["--seconds": "N (15)", "--concurrency": "N (8)"]),
    ]

    /// Internal: how `all` runs its child processes.
    static let internalOptions = ["--plan-child", "--overhead-only"]

    var command: String
    var flags: Set<String> = []
    var values: [String: String] = [:]

    /// Parses `arguments` (without the program's name); nil after printing the usage when they
    /// are not right, or `--help` was asked for.
    static func parse(_ arguments: [String]) -> BenchArguments? {
        var rest = arguments[...]
        var name = "all"
        if let first = rest.first, !first.hasPrefix("-") {
            name = first
            rest = rest.dropFirst()
        }
        guard let command = commands.first(where: { $0.name == name }) else { return usage("unknown benchmark \(name)") }
        var parsed = BenchArguments(command: name)
        while let arg = rest.popFirst() {
            if arg == "--help" || arg == "-h" { return usage(nil) }
            if command.flags.contains(arg) || arg == "--no-write" {
                parsed.flags.insert(arg)
            } else if command.options[arg] != nil || (name == "all" && internalOptions.contains(arg)) {
                guard let value = rest.popFirst() else { return usage("\(arg) needs a value") }
                guard arg == "--moto" || Int(value).map({ $0 > 0 }) == true else { return usage("\(arg) takes a whole number above 0, not \(value)") }
                parsed.values[arg] = value
            } else {
                return usage("\(name) does not take \(arg)")
            }
        }
        return parsed
    }

    func flag(_ name: String) -> Bool { flags.contains(name) }

    func int(_ name: String, _ fallback: Int) -> Int { values[name].flatMap { Int($0) } ?? fallback }

    /// Prints what firm-bench runs and takes (to stderr, with `problem` first when there is one).
    static func usage(_ problem: String?) -> BenchArguments? {
        var text = problem.map { "firm-bench: \($0)\n\n" } ?? ""
        text += "usage: swift run -c release firm-bench [BENCHMARK] [OPTIONS]\n\nBenchmarks:\n"
        for command in commands {
            text += "  \(command.name.padding(toLength: 11, withPad: " ", startingAt: 0)) \(command.summary)\n"
            let options = command.flags + command.options.keys.sorted().map { "\($0) \(command.options[$0]!)" }
            if !options.isEmpty { text += "              " + options.joined(separator: "  ") + "\n" }
        }
        text += "\n--quick runs smaller workloads. --write-docs writes the figures into docs/performance.md; without it nothing is written.\n"
        FileHandle.standardError.write(Data(text.utf8))
        return nil
    }
}
