import Foundation
import Synchronization
import FirmBase
import FirmModel
import FirmPlanning
import FirmExecution

/// `apply --timeline FILE`: an apply's actions in Chrome's Trace Event Format (docs/events.md),
/// which Perfetto and chrome://tracing open. Each provider is a process, and its lanes ("slot
/// 1", "slot 2", …) its threads: a lane holds one action at a time, from its start until it is
/// done (its records durable), so the lanes in use at once are the provider's actions in flight.
/// Each action is a complete ("X") span; its tries and the backoff between them, and its wait
/// for durability, are spans nested inside it. Times are the executor's, in microseconds from
/// its start, the clock that measures the summary's wall time.
public final class Timeline: Sendable {
    private let events = Mutex<[ExecutionEvent]>([])

    public init() {}

    /// Hears one event of the run; cheap, for every event of the executor.
    public func record(_ event: ExecutionEvent) {
        events.withLock { $0.append(event) }
    }

    /// One action's course, from its events.
    struct Course {
        var action: PlannedAction
        var start: Int = 0
        var end: Int?
        /// Each failed try's end, and the wait after it, in µs.
        var retries: [(at: Int, delay: Int)] = []
        var durableFrom: Int?
        var outcome: JSON = .null
        var failed = false
    }

    /// The trace, with `wall` (the summary's elapsed time) in its `otherData`.
    public func trace(wall: Duration) -> JSON {
        let events = self.events.withLock { $0 }
        var courses: [String: Course] = [:]
        var order: [String] = []
        for event in events {
            let id = event.action.id, at = Self.micros(event.elapsed)
            switch event.kind {
            case .started:
                courses[id] = Course(action: event.action, start: at)
                order.append(id)
            case .retrying(_, _, let delay, _):
                courses[id]?.retries.append((at, Self.micros(delay)))
            case .awaitingDurability: courses[id]?.durableFrom = at
            case .succeeded(let result):
                courses[id]?.end = at
                courses[id]?.outcome = ["result": .string(result)]
            case .failed(let failure):
                courses[id]?.end = at
                courses[id]?.outcome = ["failure": failure.json]
                courses[id]?.failed = true
            case .skipped: break
            }
        }
        let last = events.map { Self.micros($0.elapsed) }.max() ?? 0
        var providers: [String] = []
        var lanes: [String: [Int]] = [:]
        var trace: [JSON] = []
        for id in order {
            guard var course = courses[id] else { continue }
            // An action still running when the run stopped ends with the run.
            let end = max(course.start, course.end ?? last)
            course.end = end
            let provider = course.action.provider
            if !providers.contains(provider) { providers.append(provider) }
            let pid = providers.firstIndex(of: provider)! + 1
            var free = lanes[provider, default: []]
            let lane = free.firstIndex { $0 <= course.start } ?? free.count
            if lane == free.count { free.append(end) } else { free[lane] = end }
            lanes[provider] = free
            trace += spans(course, end: end, pid: pid, tid: lane + 1)
        }
        var meta: [JSON] = []
        for (index, provider) in providers.enumerated() {
            meta.append(["name": "process_name", "ph": "M", "pid": .int(index + 1), "tid": 0, "args": ["name": .string("provider \(provider)")]])
            for lane in (lanes[provider] ?? []).indices {
                meta.append(["name": "thread_name", "ph": "M", "pid": .int(index + 1), "tid": .int(lane + 1), "args": ["name": .string("slot \(lane + 1)")]])
            }
        }
        return ["traceEvents": .array(meta + trace), "displayTimeUnit": "ms",
                "otherData": ["firm": "timeline/1", "wall_us": .int(Self.micros(wall)), "actions": .int(order.count)]]
    }

    /// The action's span, then its children, each clamped within it.
    private func spans(_ course: Course, end: Int, pid: Int, tid: Int) -> [JSON] {
        func span(_ name: String, _ category: String, _ from: Int, _ to: Int, _ args: JSON = .object(JSONObject())) -> JSON {
            let from = min(max(from, course.start), end), to = min(max(to, from), end)
            return ["name": .string(name), "cat": .string(category), "ph": "X", "ts": .int(from), "dur": .int(to - from), "pid": .int(pid), "tid": .int(tid), "args": args]
        }
        var args = JSONObject([("action", .string(course.action.id)), ("provider", .string(course.action.provider))])
        for (key, value) in course.outcome.objectValue?.members ?? [] { args[key] = value }
        var result = [span(PlanRenderer.line(course.action), course.failed ? "failed" : course.action.type.rawValue, course.start, end, .object(args))]
        let callEnd = course.durableFrom ?? end
        if !course.retries.isEmpty {
            var tryStart = course.start
            for (index, retry) in course.retries.enumerated() {
                result.append(span("try \(index + 1)", "try", tryStart, retry.at))
                result.append(span("backoff", "backoff", retry.at, retry.at + retry.delay))
                tryStart = retry.at + retry.delay
            }
            result.append(span("try \(course.retries.count + 1)", "try", tryStart, callEnd))
        }
        if let from = course.durableFrom { result.append(span("wait for durability", "durability", from, end)) }
        return result
    }

    static func micros(_ duration: Duration) -> Int { Int(duration.nanoseconds / 1000) }

    /// Writes the trace to `path` (atomically, as `--junit` and `--html` are written), off the
    /// cooperative pool.
    public func write(to path: String, wall: Duration) async throws(EventFileError) {
        let bytes = JSONWriter(pretty: false).bytes(trace(wall: wall)) + [0x0A]
        let failure: String? = await DispatchQueue.global().perform {
            do throws(StateError) {
                try FileIO.atomicWrite(bytes, to: path, mode: 0o644)
                return nil
            } catch {
                if case .io(_, let reason) = error { return reason }
                return "\(error)"
            }
        }
        if let failure { throw EventFileError(path: path, reason: failure) }
    }
}
