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

    /// `now` plus `duration`, as a Timestamp.
    public static func adding(_ duration: Duration, to now: String) -> String {
        Timestamp.text((Timestamp.seconds(now) ?? 0) + Int(duration.components.seconds))
    }
}
