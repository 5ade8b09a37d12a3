import Foundation
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

/// Whole `firm` processes, as users wait for them (`/usr/bin/time`: wall, user + sys CPU and
/// peak memory of that process alone), on the simulated cloud: `firm-bench process`, and part
/// of the full `firm-bench` run. The release `firm` beside firm-bench is the one measured.
enum ProcessBench {
    struct Figures {
        var planEmpty10k = EtcdBench.Run(wall: 0, cpu: 0, maxRSSMB: 0, output: "")
        var planEmpty100k: EtcdBench.Run?
        var planVaried10k = EtcdBench.Run(wall: 0, cpu: 0, maxRSSMB: 0, output: "")
        var noopRefresh = EtcdBench.Run(wall: 0, cpu: 0, maxRSSMB: 0, output: "")
        var noopNoRefresh = EtcdBench.Run(wall: 0, cpu: 0, maxRSSMB: 0, output: "")
        var apply10k = EtcdBench.Run(wall: 0, cpu: 0, maxRSSMB: 0, output: "")
        var actions10k = 0
        var stateBytesPerApp = 0.0
        var makespan = EtcdBench.Run(wall: 0, cpu: 0, maxRSSMB: 0, output: "")
        /// The same apply with the state in clear and encrypted (FIRM_STATE_KEY), interleaved:
        /// the median CPU per action of each.
        var clearCPU = 0.0, sealedCPU = 0.0
        var makespanBound = 0.0
        /// Where one more such apply's makespan goes, from its `--timeline`.
        var makespanShares: MakespanShares?
        var scheduling: SchedulingBench.Result?
    }

    static func firmBinary() throws -> String {
        let firm = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("firm").path
        guard FileManager.default.isExecutableFile(atPath: firm) else { throw BenchError("no firm beside firm-bench (\(firm)): swift build -c release first") }
        return firm
    }

    static func measure(quick: Bool) async throws -> Figures {
        let firm = try firmBinary()
        var f = Figures()
        let env = ["BENCH_PW": "bench-secret"]
        func best(_ arguments: [String], in dir: String, runs: Int = 3) throws -> EtcdBench.Run {
            try (0..<runs).map { _ in try EtcdBench.measure(firm, arguments, in: dir, env: env) }.min { $0.wall < $1.wall }!
        }
        func folder(_ name: String, apps: Int, latency: String = "{}", varied: Bool = false) throws -> String {
            let dir = try FirmBench.temporaryDirectory() + "/" + name
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try Workloads.blueprint(apps: apps, latency: latency, varied: varied).write(toFile: dir + "/bench.json", atomically: true, encoding: .utf8)
            return dir
        }
        /// Three applies in `dir`, each from nothing (no state, no simulated world); the last
        /// one's state and world stay.
        func freshApplies(in dir: String) throws -> [EtcdBench.Run] {
            try (0..<3).map { _ in
                try? FileManager.default.removeItem(atPath: dir + "/state")
                try? FileManager.default.removeItem(atPath: dir + "/.firm")
                return try EtcdBench.measure(firm, ["apply", "bench.json", "--auto-approve", "--parallelism", "100"], in: dir, env: env)
            }
        }
        let big = quick ? 1_000 : 10_000
        let dir = try folder("big", apps: big)
        f.planEmpty10k = try best(["plan", "bench.json", "--json"], in: dir)
        print("plan \(big) apps, empty state: \(String(format: "%.2f", f.planEmpty10k.wall)) s, \(String(format: "%.0f", f.planEmpty10k.maxRSSMB)) MB")
        let varied = try folder("varied", apps: big, varied: true)
        f.planVaried10k = try best(["plan", "bench.json", "--json"], in: varied)
        print("plan \(big) apps of their own attributes, empty state: \(String(format: "%.2f", f.planVaried10k.wall)) s")
        if !quick {
            let huge = try folder("huge", apps: 100_000)
            f.planEmpty100k = try best(["plan", "bench.json", "--json"], in: huge, runs: 1)
            print("plan 100000 apps, empty state: \(String(format: "%.2f", f.planEmpty100k!.wall)) s, \(String(format: "%.0f", f.planEmpty100k!.maxRSSMB)) MB")
        }
        // The median of three applies by CPU: one run on a shared machine varies by a fifth. The
        // last one's state stays for the no-op plans below.
        f.apply10k = try freshApplies(in: dir).sorted { $0.cpu < $1.cpu }[1]
        f.actions10k = Int(f.apply10k.output.components(separatedBy: ": ").last?.split(separator: " ").first ?? "") ?? 0
        print("apply \(big) apps, zero latency: \(String(format: "%.2f", f.apply10k.wall)) s, CPU \(String(format: "%.1f", f.apply10k.cpu / Double(max(f.actions10k, 1)) * 1e6)) µs per action")
        let size = (try? FileManager.default.attributesOfItem(atPath: dir + "/state/bench.state.json")[.size] as? Int) ?? 0
        f.stateBytesPerApp = Double(size) / Double(big)
        f.noopRefresh = try best(["plan", "bench.json"], in: dir)
        f.noopNoRefresh = try best(["plan", "bench.json", "--refresh=false"], in: dir)
        print("no-op plan: \(String(format: "%.2f", f.noopRefresh.wall)) s with refresh, \(String(format: "%.2f", f.noopNoRefresh.wall)) s without")

        (f.clearCPU, f.sealedCPU) = try encryptionCost(firm: firm, apps: big, rounds: 3)

        let latency = #"{"deploy": "40ms..60ms", "powerOn": "10ms", "refreshIP": "5ms"}"#
        let small = try folder("makespan", apps: 1_000, latency: latency)
        f.makespan = try freshApplies(in: small).sorted { $0.wall < $1.wall }[1]
        let blueprint = try BlueprintDecoder.decode(Array(Workloads.blueprint(apps: 1_000, latency: latency).utf8), file: "bench.json", types: BuiltIn.providerTypes)
        f.makespanBound = Benchmarks.lowerBound(Planner.plan(blueprint: blueprint, blueprintFile: "bench.json", state: .new(blueprint: "bench")), blueprint, 100)
        print("apply 1000 apps with latency: \(String(format: "%.2f", f.makespan.wall)) s = \(String(format: "%.2f", f.makespan.wall / f.makespanBound)) × \(String(format: "%.2f", f.makespanBound)) s")
        try? FileManager.default.removeItem(atPath: small + "/state")
        try? FileManager.default.removeItem(atPath: small + "/.firm")
        let trace = small + "/makespan.trace.json"
        _ = try EtcdBench.measure(firm, ["apply", "bench.json", "--auto-approve", "--parallelism", "100", "--timeline", trace], in: small, env: env)
        let shares = try MakespanShares(path: trace, slots: 100)
        f.makespanShares = shares
        print("where it goes (\(trace), opens in Perfetto): \(shares.description)")
        f.scheduling = try await SchedulingBench.run()
        return f
    }

    /// Fresh applies of `apps` apps at zero latency in clear and with a state key
    /// (FIRM_STATE_KEY), taking turns `rounds` times: the median CPU per action of each, in µs.
    /// Also alone as `firm-bench encryption`.
    static func encryptionCost(firm: String, apps: Int, rounds: Int) throws -> (clear: Double, sealed: Double) {
        let env = ["BENCH_PW": "bench-secret"]
        var dirs: [String] = []
        for name in ["clear", "sealed"] {
            let dir = try FirmBench.temporaryDirectory() + "/" + name
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try Workloads.blueprint(apps: apps).write(toFile: dir + "/bench.json", atomically: true, encoding: .utf8)
            dirs.append(dir)
        }
        let key = Data((0..<32).map { UInt8($0) }).base64EncodedString()
        var clearRuns: [Double] = [], sealedRuns: [Double] = []
        for _ in 0..<rounds {
            for (work, extra) in [(dirs[0], [String: String]()), (dirs[1], ["FIRM_STATE_KEY": key])] {
                try? FileManager.default.removeItem(atPath: work + "/state")
                try? FileManager.default.removeItem(atPath: work + "/.firm")
                let run = try EtcdBench.measure(firm, ["apply", "bench.json", "--auto-approve", "--parallelism", "100"], in: work, env: env.merging(extra) { $1 })
                let perAction = run.cpu / Double(max(Int(run.output.components(separatedBy: ": ").last?.split(separator: " ").first ?? "") ?? 0, 1)) * 1e6
                if extra.isEmpty { clearRuns.append(perAction) } else { sealedRuns.append(perAction) }
            }
        }
        let clear = clearRuns.sorted()[rounds / 2], sealed = sealedRuns.sorted()[rounds / 2]
        print("apply \(apps) apps, CPU per action (median of \(rounds)): \(String(format: "%.1f", clear)) µs in clear, \(String(format: "%.1f", sealed)) µs encrypted (\(String(format: "%+.1f", sealed - clear)) µs)")
        return (clear, sealed)
    }

    static func rows(_ f: Figures, big: Int) -> [(String, String, String)] {
        func run(_ r: EtcdBench.Run) -> String { String(format: "%.2f s, %.0f MB", r.wall, r.maxRSSMB) }
        var rows: [(String, String, String)] = [
            ("plan, \(big) apps, empty state, `--json`", run(f.planEmpty10k), big == 10_000 ? "< 0.15 s, < 100 MB" : "-"),
            ("the same, every app's attributes its own (nothing repeats)", run(f.planVaried10k), big == 10_000 ? "< 0.15 s, < 100 MB" : "-"),
        ]
        if let h = f.planEmpty100k { rows.append(("plan, 100000 apps, empty state, `--json`", run(h), "< 1.5 s, < 600 MB")) }
        rows += [
            ("plan, \(big) apps, no changes, with refresh (simulated)", run(f.noopRefresh), "< 0.3 s"),
            ("plan, \(big) apps, no changes, `--refresh=false`", run(f.noopNoRefresh), "< 0.15 s"),
            ("apply, \(big) apps, zero latency: CPU (user + sys) per action", String(format: "%.0f µs (%d actions, %.2f s wall)", f.apply10k.cpu / Double(max(f.actions10k, 1)) * 1e6, f.actions10k, f.apply10k.wall), "< 40 µs"),
            ("apply, 1000 apps (deploy 40–60 ms, powerOn 10 ms, refreshIP 5 ms), parallelism 100", String(format: "%.2f s = %.2f × the %.2f s lower bound", f.makespan.wall, f.makespan.wall / f.makespanBound, f.makespanBound), "≤ 1.10 ×"),
            ("apply, \(big) apps, zero latency, with the state encrypted (FIRM_STATE_KEY), interleaved with it in clear: CPU per action",
             String(format: "%.0f µs encrypted, %.0f µs in clear (%+.0f µs)", f.sealedCPU, f.clearCPU, f.sealedCPU - f.clearCPU), "≤ +10 µs"),
        ]
        if let shares = f.makespanShares {
            rows.append(("where the 1000-app apply's makespan goes (`apply --timeline`, one more run)", shares.description, "-"))
        }
        rows += [
            ("state file, \(big) apps", String(format: "%.0f bytes per app", f.stateBytesPerApp), "< 400"),
        ]
        if let s = f.scheduling {
            rows.append(("scheduling: \(s.description)", String(format: "critical path %.2f s, FIFO %.2f s: ratio %.2f; lower bound %.2f s", s.critical, s.fifo, s.critical / s.fifo, s.lowerBound), "≤ 0.85"))
        }
        return rows
    }

    static func markdown(_ f: Figures, big: Int) -> String {
        var out = """
            <!-- process-bench -->
            ## Whole processes

            `swift run -c release firm-bench process` (also part of `firm-bench`): the release `firm` binary
            run as users run it, each figure the whole process measured by `/usr/bin/time` (wall time, and
            max RSS or user + sys CPU of that process alone), on the simulated cloud. Plans are the best of
            three runs; the apply's CPU and the makespan are the median of three. Machine: \(Machine.summary).

            | figure | whole process | goal |
            |---|---|---|

            """
        for r in rows(f, big: big) { out += "| \(r.0) | \(r.1) | \(r.2) |\n" }
        out += "<!-- /process-bench -->"
        return out
    }

    static func write(_ f: Figures, big: Int) throws {
        let path = "docs/performance.md"
        var text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        let section = markdown(f, big: big)
        if let a = text.range(of: "<!-- process-bench -->"), let b = text.range(of: "<!-- /process-bench -->") {
            text.replaceSubrange(a.lowerBound..<b.upperBound, with: section)
        } else {
            text += "\n" + section + "\n"
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        print("Wrote the whole-process section of docs/performance.md")
    }
}
