import Foundation

/// Random identifiers.
public enum UUIDText {
    /// A random (version 4, RFC 9562) UUID in lowercase, such as
    /// `0f8fad5b-d9cb-469f-a165-70867728950e`. Drawn from the kernel's generator through
    /// `RandomPool`, not Foundation's UUID(), which opens and reads /dev/urandom every time.
    public static func random() -> String {
        var bytes = RandomPool.bytes(16)
        bytes[6] = bytes[6] & 0x0F | 0x40  // version 4
        bytes[8] = bytes[8] & 0x3F | 0x80  // the RFC's variant
        // 8-4-4-4-12 digits, written into the string's own storage.
        return String(unsafeUninitializedCapacity: 36) { out in
            var o = 0
            for (i, byte) in bytes.enumerated() {
                if i == 4 || i == 6 || i == 8 || i == 10 {
                    out[o] = UInt8(ascii: "-")
                    o += 1
                }
                out[o] = Hex.digits[Int(byte >> 4)]
                out[o + 1] = Hex.digits[Int(byte & 0x0F)]
                o += 2
            }
            return o
        }
    }

    /// `count` random lowercase hex digits.
    public static func hex(_ count: Int) -> String {
        String(Hex.lower(RandomPool.bytes((count + 1) / 2)).prefix(count))
    }
}

/// Timestamps as ISO 8601 text in UTC, such as `2026-11-22T15:44:14Z`. Formatted with
/// gmtime_r: an ISO8601DateFormatter costs about 50 µs to create, and this runs per action.
public enum Timestamp {
    public static func now() -> String {
        format(seconds: time(nil), millis: nil)
    }

    /// Now with milliseconds, such as `2026-11-22T15:44:14.042Z`: for log lines whose spacing
    /// is read (a reconcile's period).
    public static func precise() -> String {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return format(seconds: spec.tv_sec, millis: Int(spec.tv_nsec / 1_000_000))
    }

    /// A timestamp as `now` or `precise` writes it, in seconds since 1970 with the fraction;
    /// nil for other text.
    public static func preciseSeconds(_ text: String) -> Double? {
        guard let dot = text.firstIndex(of: ".") else { return seconds(text).map(Double.init) }
        let fraction = text[text.index(after: dot)...].dropLast()
        guard text.hasSuffix("Z"), fraction.count == 3, let millis = Int(fraction), let whole = seconds(String(text[..<dot]) + "Z") else { return nil }
        return Double(whole) + Double(millis) / 1000
    }

    private static func format(seconds: time_t, millis: Int?) -> String {
        var seconds = seconds
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let fraction = millis.map { "." + String(String($0 + 1000).dropFirst()) } ?? ""
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))\(fraction)Z"
    }
}
