import FirmBase
import FirmModel
import FirmPlanning
import FirmExecution


/// The time sandboxes' lifetimes are measured by: the system clock, or, for tests only,
/// `FIRM_TEST_NOW` (a Timestamp such as 2030-01-01T00:00:00Z), so that expiry is tested
/// without waiting. A malformed FIRM_TEST_NOW is an error, never ignored.
public enum SandboxClock {
    public static func now(_ environment: Environment = .process) throws(SandboxError) -> String {
        guard let text = environment["FIRM_TEST_NOW"] else { return Timestamp.now() }
        guard Timestamp.seconds(text) != nil else { throw .invalidClock(text) }
        return text
    }

    /// `now` plus `duration`, as a Timestamp; refused when it would pass the last second a
    /// Timestamp holds (9999-12-31T23:59:59Z), which the state's reader would refuse.
    public static func adding(_ duration: Duration, to now: String) throws(SandboxError) -> String {
        let sum = (Timestamp.seconds(now) ?? 0) + Int(duration.components.seconds)
        guard sum <= Timestamp.latestSeconds else { throw .expiryOutOfRange(now: now, ttl: wholeUnits(duration)) }
        return Timestamp.text(sum)
    }

    /// A time to live as it is written: `100d`, `2h`, `30m` or `90s`.
    static func wholeUnits(_ duration: Duration) -> String {
        let seconds = Int(duration.components.seconds)
        for (unit, size) in [("d", 86400), ("h", 3600), ("m", 60)] where seconds % size == 0 && seconds >= size {
            return "\(seconds / size)\(unit)"
        }
        return "\(seconds)s"
    }
}
