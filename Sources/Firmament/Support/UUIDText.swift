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

/// Timestamps as ISO 8601 text in UTC.
public enum Timestamp {
    public static func now() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date())
    }
}
