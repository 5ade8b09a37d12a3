import Foundation

/// Where an apply's makespan goes, read from its `--timeline` file (docs/events.md): of the
/// slots' time (the makespan × --parallelism), the share that held provider calls, the share in
/// backoff between tries, and the share idle; and how long a result waited to be durable, on
/// average (its slot is free meanwhile).
struct MakespanShares {
    var makespan: Double
    var calls: Double
    var backoff: Double
    var idle: Double
    var durabilityWait: Double
    var actions: Int

    /// Reads the trace at `path` of an apply run with `slots` slots.
    init(path: String, slots: Int) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard let trace = try JSONSerialization.jsonObject(with: data) as? [String: Any], let events = trace["traceEvents"] as? [[String: Any]] else {
            throw BenchError("\(path) is not a trace: expected an object with traceEvents")
        }
        let spans = events.filter { $0["ph"] as? String == "X" }
        func micros(_ key: String, _ span: [String: Any]) -> Double { Double(span[key] as? Int ?? 0) }
        func sum(_ category: String) -> Double { spans.filter { $0["cat"] as? String == category }.map { micros("dur", $0) }.reduce(0, +) }
        let actions = spans.filter { !["try", "backoff", "durability"].contains($0["cat"] as? String ?? "") }
        let start = actions.map { micros("ts", $0) }.min() ?? 0, end = actions.map { micros("ts", $0) + micros("dur", $0) }.max() ?? 0
        let held = actions.map { micros("dur", $0) }.reduce(0, +), waits = sum("durability"), backoff = sum("backoff")
        let total = max(1, (end - start) * Double(slots))
        makespan = (end - start) / 1e6
        calls = (held - waits - backoff) / total
        self.backoff = backoff / total
        idle = max(0, 1 - calls - self.backoff)
        durabilityWait = waits / Double(max(1, actions.count)) / 1e3
        self.actions = actions.count
    }

    var description: String {
        String(format: "%.2f s: slots busy with provider calls %.0f %%, in backoff %.0f %%, idle %.0f %%; a result waits %.2f ms on average to be durable",
               makespan, calls * 100, backoff * 100, idle * 100, durabilityWait)
    }
}
