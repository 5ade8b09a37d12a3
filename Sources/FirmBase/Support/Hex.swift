/// Lowercase hexadecimal text of bytes, two digits a byte: digests, MACs and identifiers.
public enum Hex {
    package static let digits = Array("0123456789abcdef".utf8)

    /// `bytes` as lowercase hex, such as `00ff10`.
    public static func lower<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for b in bytes { append(b, to: &out) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `byte`'s two lowercase hex digits.
    package static func append(_ byte: UInt8, to out: inout [UInt8]) {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0x0F)])
    }
}
