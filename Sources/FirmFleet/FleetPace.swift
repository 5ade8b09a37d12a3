import FirmBase

/// The pace a replica achieves: each sandbox's period (the time between two starts of its
/// cycles) and the cycles it runs, summed over a window. At the window's end (ten intervals
/// after the start, then once a minute) it gives one report: the status line, and whether
/// the replica is saturated: its sandboxes' periods are more than a tenth above the interval.
public struct FleetPace: Sendable {
    public typealias Instant = ContinuousClock.Instant

    public let every: Duration
    private var windowStart: Instant
    private var windowLength: Duration
    private var lastStart: [String: Instant] = [:]
    private var periodSum: Duration = .zero
    private var periodCount = 0
    private var longest: Duration = .zero
    private var cycles = 0

    /// What one window saw.
    public struct Report: Sendable, Equatable {
        /// The mean time between two starts of one sandbox's cycles; nil when none ran twice.
        public var period: Duration?
        /// The longest such time.
        public var longest: Duration
        /// Sandbox cycles a second.
        public var cyclesPerSecond: Double
        /// Whether the period is more than a tenth above the interval.
        public var saturated: Bool
    }

    public init(every: Duration, now: Instant) {
        self.every = every
        windowStart = now
        windowLength = min(.seconds(60), every * 10)
    }

    /// A cycle of `name` started at `now`.
    public mutating func started(_ name: String, now: Instant) {
        cycles += 1
        if let last = lastStart[name] {
            let period = now - last
            periodSum += period
            periodCount += 1
            longest = max(longest, period)
        }
        lastStart[name] = now
    }

    /// `name` is no longer held: its next start is not a period.
    public mutating func forget(_ name: String) {
        lastStart[name] = nil
    }

    /// The report of the window that ended by `now`, once per window; nil before its end.
    public mutating func report(now: Instant) -> Report? {
        let elapsed = now - windowStart
        guard elapsed >= windowLength else { return nil }
        let period = periodCount == 0 ? nil : periodSum / periodCount
        let report = Report(period: period, longest: longest, cyclesPerSecond: Double(cycles) / elapsed.seconds,
                            saturated: period.map { $0 > every + every / 10 } ?? false)
        windowStart = now
        windowLength = .seconds(60)
        periodSum = .zero
        periodCount = 0
        longest = .zero
        cycles = 0
        return report
    }
}
