import Foundation
import Testing
@testable import FirmBase
@testable import FirmFleet

/// The fleet's schedule on a made-up clock: a replica's loop played out event by event, with
/// cycles of a fixed cost, and the period of each sandbox read from its starts.
@Suite("Fleet schedule")
struct FleetScheduleTests {
    typealias Instant = ContinuousClock.Instant

    /// Plays a replica: `names` held from the start, at most `concurrency` cycles at once, each
    /// taking `cost`, until `horizon`. Returns each sandbox's starts, as offsets from the start.
    static func play(_ names: [String], every: Duration, concurrency: Int, cost: Duration, horizon: Duration,
                     pace: inout FleetPace, at start: Instant) -> [String: [Duration]] {
        var schedule = FleetSchedule(every: every)
        schedule.hold(Set(names), now: start)
        var now = start
        var running: [(name: String, started: Instant)] = []
        var starts: [String: [Duration]] = [:]
        while now - start < horizon {
            while running.count < concurrency, let name = schedule.take(now: now) {
                running.append((name, now))
                starts[name, default: []].append(now - start)
                pace.started(name, now: now)
            }
            // The next event: a cycle ends, or (with a slot free) the next deadline comes.
            var next = running.map { $0.started + cost }.min() ?? start + horizon
            if running.count < concurrency, let due = schedule.nextDue { next = min(next, max(due, now)) }
            now = max(now, next)
            for cycle in running where cycle.started + cost <= now { schedule.succeeded(cycle.name, started: cycle.started) }
            running.removeAll { $0.started + cost <= now }
        }
        return starts
    }

    static func periods(_ starts: [String: [Duration]]) -> [Duration] {
        starts.values.flatMap { list in zip(list.dropFirst(), list).map { $0 - $1 } }
    }

    @Test("20 sandboxes at --every 1s: each is reconciled every 1 s ± 10 %, never skipping a tick")
    func period() {
        let start = ContinuousClock.now
        var pace = FleetPace(every: .seconds(1), now: start)
        let starts = Self.play((1...20).map { "s\($0)" }, every: .seconds(1), concurrency: 2, cost: .milliseconds(30), horizon: .seconds(20),
                               pace: &pace, at: start)
        #expect(starts.count == 20)
        let periods = Self.periods(starts)
        #expect(periods.count >= 20 * 18, "every sandbox ran about once a second: \(periods.count) periods")
        #expect(periods.allSatisfy { $0 >= .milliseconds(900) && $0 <= .milliseconds(1100) }, "\(periods.filter { $0 > .milliseconds(1100) || $0 < .milliseconds(900) })")
        let report = pace.report(now: start + .seconds(20))
        #expect(report?.saturated == false, "\(String(describing: report))")
    }

    @Test("a saturated replica serves its sandboxes in turn, and its pace says so")
    func saturated() {
        let start = ContinuousClock.now
        var pace = FleetPace(every: .seconds(1), now: start)
        // 300 sandboxes of 18 ms one at a time: a pass takes 5.4 s.
        let starts = Self.play((1...300).map { "s\($0)" }, every: .seconds(1), concurrency: 1, cost: .milliseconds(18), horizon: .seconds(30),
                               pace: &pace, at: start)
        let periods = Self.periods(starts)
        #expect(starts.count == 300, "every sandbox had its turn")
        let longest = periods.max() ?? .zero, shortest = periods.min() ?? .zero
        #expect(longest <= .milliseconds(5500) && shortest >= .milliseconds(5300), "in turn, each every 5.4 s: \(shortest)…\(longest)")
        let report = pace.report(now: start + .seconds(30))
        #expect(report?.saturated == true)
        #expect(report.flatMap(\.period).map { $0 > .seconds(5) } == true, "the achieved period is reported: \(String(describing: report))")
        // With concurrency 6 the same work keeps the period.
        var fast = FleetPace(every: .seconds(1), now: start)
        let kept = Self.periods(Self.play((1...300).map { "s\($0)" }, every: .seconds(1), concurrency: 6, cost: .milliseconds(18), horizon: .seconds(30),
                                          pace: &fast, at: start))
        #expect(kept.allSatisfy { $0 <= .milliseconds(1100) }, "\(kept.max() ?? .zero)")
    }

    @Test("sandboxes claimed just now go before every other, even those overdue")
    func freshFirst() {
        let start = ContinuousClock.now
        var schedule = FleetSchedule(every: .seconds(1))
        schedule.hold(["a", "b", "c"], now: start)
        for _ in 0..<3 {
            let name = schedule.take(now: start)!
            schedule.succeeded(name, started: start)
        }
        let later = start + .seconds(5)
        let (claimed, handed) = schedule.hold(["a", "b", "c", "x", "y"], now: later)
        #expect(claimed == ["x", "y"] && handed.isEmpty)
        #expect(schedule.take(now: later) == "x")
        #expect(schedule.take(now: later) == "y")
        #expect(schedule.take(now: later) == "a")
        #expect(schedule.running == 3)
        let (_, gone) = schedule.hold(["x"], now: later)
        #expect(gone == ["a", "b", "c", "y"])
        #expect(schedule.take(now: later) == nil, "x is running")
    }

    @Test("a failure backs off from its start: every × 2, then × 4; a terminal one eight times faster; at most 5 minutes")
    func backoff() {
        let start = ContinuousClock.now
        var schedule = FleetSchedule(every: .seconds(1))
        schedule.hold(["a"], now: start)
        _ = schedule.take(now: start)
        #expect(schedule.failed("a", started: start, terminal: false) == .seconds(2))
        #expect(schedule.take(now: start + .milliseconds(1900)) == nil)
        #expect(schedule.take(now: start + .seconds(2)) == "a")
        #expect(schedule.failed("a", started: start + .seconds(2), terminal: false) == .seconds(4))
        #expect(FleetSchedule.backoff(every: .seconds(1), failures: 1, terminal: true) == .seconds(8))
        #expect(FleetSchedule.backoff(every: .seconds(30), failures: 20, terminal: false) == .seconds(300))
        _ = schedule.take(now: start + .seconds(6))
        schedule.succeeded("a", started: start + .seconds(6))
        #expect(schedule.nextDue == start + .seconds(7))
        // A start within the tolerance before the deadline keeps the cadence of the deadlines.
        _ = schedule.take(now: start + .seconds(7) - schedule.tolerance)
        schedule.succeeded("a", started: start + .seconds(7) - schedule.tolerance)
        #expect(schedule.nextDue == start + .seconds(8))
    }

    @Test("a log line's time has milliseconds, and reads back as the time it was written")
    func preciseTimestamps() {
        let before = Date().timeIntervalSince1970
        let text = Timestamp.precise()
        let after = Date().timeIntervalSince1970
        #expect(text.count == "2026-12-06T10:20:18.123Z".count, "\(text)")
        let read = Timestamp.preciseSeconds(text)
        #expect(read.map { $0 >= before - 0.002 && $0 <= after } == true, "\(text): \(String(describing: read)) not in \(before)…\(after)")
        #expect(Timestamp.preciseSeconds("2026-12-06T10:20:18Z") == 1_796_552_418)
        #expect(Timestamp.preciseSeconds("yesterday") == nil && Timestamp.preciseSeconds("2026-12-06T10:20Z") == nil)
    }
}
