/// Durations written as text: `250us`, `40ms`, `1.5s`, `2m`, `1h`, `3d`.
public enum DurationText {
    /// Parses one duration; nil when malformed or negative.
    public static func parse(_ text: String) -> Duration? {
        let units: [(String, Double)] = [("us", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            let number = text.dropLast(suffix.count)
            guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
                let value = Double(number), value >= 0, value * scale < 1e7
            else { return nil }
            return .microseconds(Int64((value * scale * 1e6).rounded()))
        }
        return text == "0" ? .zero : nil
    }

    /// Renders a duration for people: `850µs`, `42ms`, `1.50s`.
    public static func format(_ duration: Duration) -> String {
        let seconds = duration.seconds
        if seconds < 0.001 { return "\(Int((seconds * 1e6).rounded()))µs" }
        if seconds < 1 { return "\(Int((seconds * 1e3).rounded()))ms" }
        let hundredths = Int((seconds * 100).rounded())
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)s"
    }
}

/// A latency that is fixed (`10ms`) or uniformly jittered (`40ms..60ms`).
public struct LatencyRange: Sendable, Equatable {
    public var low: Duration
    public var high: Duration

    public init(low: Duration, high: Duration) {
        self.low = low
        self.high = high
    }

    /// Parses `D` or `D..D`.
    public init?(_ text: String) {
        let parts = text.components(separatedBy: "..")
        guard parts.count <= 2, let low = DurationText.parse(parts[0]) else { return nil }
        let high = parts.count == 2 ? DurationText.parse(parts[1]) : low
        guard let high, high >= low else { return nil }
        self.init(low: low, high: high)
    }

    /// A duration drawn uniformly from the range.
    public func sample<G: RandomNumberGenerator>(using generator: inout G) -> Duration {
        if low == high { return low }
        return .nanoseconds(Int64.random(in: low.nanoseconds...high.nanoseconds, using: &generator))
    }
}

extension Duration {
    /// The duration in seconds, as a floating-point number.
    public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }

    /// The duration in whole nanoseconds (saturating far beyond any duration firm uses).
    public var nanoseconds: Int64 {
        let (scaled, overflow) = components.seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? (components.seconds < 0 ? .min : .max) : scaled &+ components.attoseconds / 1_000_000_000
    }
}

extension Duration {
    /// Whole microseconds, for durations read from blueprints (a few days at most).
    package var microseconds: Int64 { components.seconds * 1_000_000 + components.attoseconds / 1_000_000_000_000 }
}
