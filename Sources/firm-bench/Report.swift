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

/// The benchmark figures, as a table for the terminal and as docs/performance.md.
struct Report {
    var plans: [Benchmarks.PlanResult] = []
    var makespan: Benchmarks.ApplyResult?
    var overhead: Benchmarks.ApplyResult?
    var rewriteSeconds: Double?

    var rows: [(String, String, String)] {
        var rows: [(String, String, String)] = []
        for p in plans {
            rows.append(("plan, \(p.apps) apps (\(p.actions) actions)", String(format: "%.3f s, peak %.0f MB", p.seconds, p.peakMB),
                         p.apps == 10_000 ? "< 0.5 s, < 200 MB" : "-"))
        }
        if let m = makespan {
            rows.append(("apply makespan, \(m.apps) apps, parallelism \(m.parallelism)",
                         String(format: "%.3f s = %.3f × lower bound %.3f s", m.seconds, m.seconds / m.lowerBound, m.lowerBound), "≤ 1.15 ×"))
        }
        if let o = overhead {
            rows.append(("executor overhead, \(o.apps) apps, zero latency",
                         String(format: "%.1f µs per action (%d actions in %.2f s)", o.seconds / Double(o.actions) * 1e6, o.actions, o.seconds), "< 200 µs"))
            if let r = rewriteSeconds {
                rows.append(("for comparison: rewriting the whole \(o.apps)-app state once",
                             String(format: "%.1f ms, %.0f × Firmament's whole cost per action", r * 1e3, r / (o.seconds / Double(o.actions))), "-"))
            }
        }
        return rows
    }

    var table: String {
        let w0 = rows.map(\.0.count).max() ?? 0, w1 = rows.map(\.1.count).max() ?? 0
        return rows.map { $0.0.padding(toLength: w0 + 2, withPad: " ", startingAt: 0) + $0.1.padding(toLength: w1 + 2, withPad: " ", startingAt: 0) + "goal " + $0.2 }
            .joined(separator: "\n")
    }

    var markdown: String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        var out = """
            # Performance

            These figures come from `swift run -c release firm-bench`, which prints the same table; with
            `--write-docs` it also rewrites this file, and never without it (`firm-bench --help` lists the
            benchmarks and their options). Run it again on your machine to compare; the machines these
            figures come from are shared and noisy, so treat a single run as an indication, and compare
            ratios taken inside one run.

            Measured on \(formatter.string(from: Date())), on \(Machine.summary), Swift 6, release build.

            | benchmark | result | goal |
            |---|---|---|

            """
        for r in rows { out += "| \(r.0) | \(r.1) | \(r.2) |\n" }
        out += """

            ## What each benchmark does

            1. **Plan.** A generated blueprint of N apps (each with deployment and app attributes, one in
               ten powered off) and a state of N deployed apps (one in ten with another deployment type,
               one in seven powered off) are written to files. The timed part reads and validates the
               blueprint with Firmament's JSON reader, loads the state, diffs, and renders the plan JSON,
               in one process, as `firm plan --refresh=false --json` does. Best of three runs, each in a
               child process so that its peak memory (`ru_maxrss`) is its own.
            2. **Apply makespan.** N new apps on the simulated cloud with latencies deploy 40–60 ms,
               powerOn 10 ms and refreshIP 5 ms, at parallelism 100, with the state journal fsynced as
               in a real apply. The lower bound is max(longest chain, total work / parallelism), using
               the mean latency of each operation for total work and the slowest for the chain. The
               ratio shows what scheduling and persistence cost over a perfect scheduler. The median of
               three runs is reported.
            3. **Executor overhead.** N new apps with zero latency at parallelism 100 (deploy, powerOn
               and refreshIP each), so the time is Firmament's own: scheduling, the simulated cloud's
               shared world file, and durable state records. Reported per action, persistence included.

            ## Why it is fast enough

            - The JSON reader works on UTF-8 bytes and keeps positions for error messages; the writer
              emits a fixed key order, so no sorting is needed to make plans deterministic.
            - Each completed action appends one small checksummed record to the state journal. Records
              that finish together share one fsync (group commit). The whole state is written once, at
              the end (compaction). The cost per action is O(1) bytes, not O(state size), which is the
              quadratic trap of rewriting the state file after every resource.
            - The last row shows what the journal saves: one atomic rewrite of the whole state (what
              Terraform and OpenTofu do after every resource) at the same size, measured in the same
              run, against Firmament's entire per-action cost, persistence included.
            - When more actions are ready than there are slots, the one with the longest chain of work
              behind it starts first (critical-path priority), and nothing waits on a phase barrier.

            """
        return out
    }
}
