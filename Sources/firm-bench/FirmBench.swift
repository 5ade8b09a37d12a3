import Foundation
import Synchronization
import Firmament
import FirmBase
import FirmModel
import FirmPlanning
import FirmExecution
import FirmSession
import FirmSimulated
import FirmEC2
import FirmLocalState
import FirmEtcdState

/// `swift run -c release firm-bench [BENCHMARK] [--quick] [--write-docs]`: runs the benchmarks and
/// prints a table, and with `--write-docs` writes the same figures to docs/performance.md (never
/// by default; `--help` lists everything, BenchArguments): in-process figures (Benchmarks) and whole
/// `firm` processes (ProcessBench, also alone as `firm-bench process`). `firm-bench ec2 …`
/// measures the ec2 provider on moto (EC2Bench); `firm-bench etcd …`, the etcd backend (EtcdBench);
/// `firm-bench fleet …`, reconcile replicas on etcd (FleetBench); `firm-bench linux …`, the linux
/// provider against a hand-written script (LinuxBench).
///
/// Each plan benchmark runs in a child process of its own, so that its peak memory is its own.
@main
struct FirmBench {
    static func main() async {
        guard let args = BenchArguments.parse(Array(CommandLine.arguments.dropFirst())) else { exit(64) }
        defer { Scratch.removeAll() }
        do {
            switch args.command {
            case "ec2":
                try await EC2Bench.run(args)
            case "ec2-race":
                try await EC2Race.run(args)
            case "scheduling":
                _ = try await SchedulingBench.run()
            case "encryption":
                _ = try ProcessBench.encryptionCost(firm: try ProcessBench.firmBinary(), apps: args.int("--apps", 10_000), rounds: args.int("--rounds", 3))
            case "process":
                let quick = args.flag("--quick")
                let figures = try await ProcessBench.measure(quick: quick)
                let big = quick ? 1_000 : 10_000
                print("")
                for r in ProcessBench.rows(figures, big: big) { print("\(r.0): \(r.1) (goal \(r.2))") }
                if args.flag("--write-docs") && !quick { try ProcessBench.write(figures, big: big) }
            case "etcd":
                try await EtcdBench.run(args)
            case "fleet":
                try await FleetBench.run(args)
            case "linux":
                try await LinuxBench.run(args)
            default:
                if let apps = args.values["--overhead-only"].flatMap({ Int($0) }) {
                    let r = try await Benchmarks.apply(apps: apps, parallelism: 100, latency: "{}", directory: temporaryDirectory())
                    print(String(format: "%.1f µs per action", r.seconds / Double(r.actions) * 1e6))
                } else if let apps = args.values["--plan-child"].flatMap({ Int($0) }) {
                    let r = try Benchmarks.plan(apps: apps, directory: temporaryDirectory())
                    print("\(r.apps) \(r.seconds) \(r.peakMB) \(r.actions)")
                } else {
                    try await runAll(quick: args.flag("--quick"), write: args.flag("--write-docs"))
                }
            }
        } catch {
            FileHandle.standardError.write(Data("firm-bench: \(error)\n".utf8))
            Scratch.removeAll()
            exit(1)
        }
    }

    static func temporaryDirectory() throws -> String {
        let dir = NSTemporaryDirectory() + "firm-bench-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        Scratch.add(dir)
        return dir
    }

    static func runChild(apps: Int) throws -> Benchmarks.PlanResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = ["--plan-child", String(apps)]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let f = String(decoding: data, as: UTF8.self).split(separator: " ").map { String($0).trimmingCharacters(in: .whitespacesAndNewlines) }
        guard process.terminationStatus == 0, f.count == 4 else { throw BenchError("plan benchmark for \(apps) apps failed") }
        return Benchmarks.PlanResult(apps: Int(f[0])!, seconds: Double(f[1])!, peakMB: Double(f[2])!, actions: Int(f[3])!)
    }

    static func runAll(quick: Bool, write: Bool) async throws {
        var report = Report()
        for apps in quick ? [1_000] : [1_000, 10_000] {
            let runs = try (0..<3).map { _ in try runChild(apps: apps) }
            report.plans.append(runs.min { $0.seconds < $1.seconds }!)
            print("plan \(apps) apps: \(String(format: "%.3f", report.plans.last!.seconds)) s")
        }
        let latency = #"{"deploy": "40ms..60ms", "powerOn": "10ms", "refreshIP": "5ms"}"#
        var makespans: [Benchmarks.ApplyResult] = []
        for _ in 0..<3 {
            makespans.append(try await Benchmarks.apply(apps: quick ? 200 : 1_000, parallelism: 100, latency: latency, directory: try temporaryDirectory()))
        }
        report.makespan = makespans.sorted { $0.seconds < $1.seconds }[1]
        print("apply makespan: \(String(format: "%.3f", report.makespan!.seconds)) s")
        report.overhead = try await Benchmarks.apply(apps: quick ? 1_000 : 10_000, parallelism: 100, latency: "{}", directory: try temporaryDirectory())
        print("executor overhead: \(String(format: "%.1f", report.overhead!.seconds / Double(report.overhead!.actions) * 1e6)) µs per action")
        report.rewriteSeconds = try Benchmarks.rewriteCost(apps: quick ? 1_000 : 10_000, directory: try temporaryDirectory())
        let figures = try await ProcessBench.measure(quick: quick)
        print("")
        print(report.table)
        if write && !quick {
            // What follows the generated part (notes, and the EC2 and etcd sections of
            // `firm-bench ec2` and `firm-bench etcd`) is kept as it is.
            var text = report.markdown + "<!-- /generated -->\n"
            if let old = try? String(contentsOfFile: "docs/performance.md", encoding: .utf8), let end = old.range(of: "<!-- /generated -->\n") {
                text += old[end.upperBound...]
            }
            try text.write(toFile: "docs/performance.md", atomically: true, encoding: .utf8)
            try ProcessBench.write(figures, big: 10_000)
            print("\nWrote docs/performance.md")
        }
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// The temporary folders this run made, removed when it ends, whether it succeeds or fails.
enum Scratch {
    private static let folders = Mutex<[String]>([])

    static func add(_ folder: String) { folders.withLock { $0.append(folder) } }

    static func removeAll() {
        for folder in folders.withLock({ list in defer { list = [] }; return list }) {
            try? FileManager.default.removeItem(atPath: folder)
        }
    }
}
