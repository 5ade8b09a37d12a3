/// Which of a replica's sandboxes to reconcile next, and when. Each sandbox has its own
/// deadline, its last start plus the interval (or plus its back-off after a failure), and is
/// started when the deadline comes, within a small tolerance, as soon as a slot is free. A
/// sandbox claimed just now (taken over from a replica that died, or new) comes before every
/// other. Time is given, never read: the caller passes its clock's now, and a test a made-up one.
public struct FleetSchedule: Sendable {
    public typealias Instant = ContinuousClock.Instant

    /// The interval (`--every`).
    public let every: Duration
    /// How early a sandbox may start before its deadline: a twentieth of the interval, at most
    /// 50 ms, so that sandboxes due a moment apart go together and none waits a whole extra tick.
    public let tolerance: Duration

    struct Entry: Sendable {
        var due: Instant
        /// Claimed since its last cycle: it goes first.
        var fresh: Bool
        var running = false
        var failures = 0
    }

    private var entries: [String: Entry] = [:]

    public init(every: Duration) {
        self.every = every
        tolerance = min(every / 20, .milliseconds(50))
    }

    /// The sandboxes held.
    public var held: [String] { entries.keys.sorted() }
    /// How many cycles are running.
    public var running: Int { entries.values.filter(\.running).count }

    /// Whether `name` is held.
    public func holds(_ name: String) -> Bool { entries[name] != nil }

    /// Sets the sandboxes held to `names`: those new are due now and go first; those no longer
    /// held are dropped (a cycle still running finishes). Returns both lists, sorted.
    @discardableResult
    public mutating func hold(_ names: Set<String>, now: Instant) -> (claimed: [String], handed: [String]) {
        let claimed = names.filter { entries[$0] == nil }.sorted()
        let handed = entries.keys.filter { !names.contains($0) }.sorted()
        for name in handed { entries[name] = nil }
        for name in claimed { entries[name] = Entry(due: now, fresh: true) }
        return (claimed, handed)
    }

    /// The next sandbox to start at `now`, marked running: a freshly claimed one first, then the
    /// one whose deadline is earliest, if it is within the tolerance of `now`.
    public mutating func take(now: Instant) -> String? {
        var best: (name: String, entry: Entry)?
        for (name, entry) in entries where !entry.running && entry.due <= now + tolerance {
            guard let current = best else {
                best = (name, entry)
                continue
            }
            let before = entry.fresh != current.entry.fresh ? entry.fresh
                : entry.due != current.entry.due ? entry.due < current.entry.due : name < current.name
            if before { best = (name, entry) }
        }
        guard let name = best?.name else { return nil }
        entries[name]?.running = true
        entries[name]?.fresh = false
        return name
    }

    /// Records a cycle of `name` that started at `started` and succeeded: due again one
    /// interval after its start, or after its deadline when it started early (within the
    /// tolerance), so that early starts don't add up to a shorter period.
    public mutating func succeeded(_ name: String, started: Instant) {
        guard var entry = entries[name] else { return }
        entry.running = false
        entry.failures = 0
        entry.due = max(started, entry.due) + every
        entries[name] = entry
    }

    /// Records a failed cycle of `name`; returns how long it waits before the next one.
    @discardableResult
    public mutating func failed(_ name: String, started: Instant, terminal: Bool) -> Duration {
        guard var entry = entries[name] else { return Self.backoff(every: every, failures: 1, terminal: terminal) }
        entry.running = false
        entry.failures += 1
        let wait = Self.backoff(every: every, failures: entry.failures, terminal: terminal)
        entry.due = started + wait
        entries[name] = entry
        return wait
    }

    /// When the next sandbox that is not running falls due (nil: none).
    public var nextDue: Instant? {
        entries.values.filter { !$0.running }.map(\.due).min()
    }

    /// The longest back-off (`every` × 2^failures, eight times faster for a terminal failure,
    /// which won't go away by itself).
    public static let backoffCap: Duration = .seconds(300)

    /// How long to wait after `failures` failures in a row.
    public static func backoff(every: Duration, failures: Int, terminal: Bool) -> Duration {
        min(every * (1 << min(max(failures, 1) * (terminal ? 3 : 1), 16)), backoffCap)
    }
}
