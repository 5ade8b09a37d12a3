import Foundation

/// Random identifiers.
public enum UUIDText {
    /// A random UUID in lowercase.
    public static func random() -> String { UUID().uuidString.lowercased() }

    /// `count` random lowercase hex digits.
    public static func hex(_ count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in "0123456789abcdef".randomElement(using: &generator)! })
    }
}

/// Timestamps as ISO 8601 text in UTC, such as `2026-11-22T15:44:14Z`. Formatted with
/// gmtime_r: an ISO8601DateFormatter costs about 50 µs to create, and this runs per action.
public enum Timestamp {
    public static func now() -> String {
        var seconds = time(nil)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }
}
