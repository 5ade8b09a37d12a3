/// Base64 (standard alphabet, padded) appended straight to a byte buffer: the text that
/// Foundation's `base64EncodedString()` gives, without a `Data` and a `String` on the way.
public enum Base64Append {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Appends the base64 text of `bytes[range]` to `out`.
    public static func append(_ bytes: [UInt8], _ range: Range<Int>, to out: inout [UInt8]) {
        out.reserveCapacity(out.count + (range.count + 2) / 3 * 4)
        alphabet.withUnsafeBufferPointer { a in
            bytes.withUnsafeBufferPointer { b in
                var i = range.lowerBound
                while i + 3 <= range.upperBound {
                    let n = UInt32(b[i]) << 16 | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2])
                    out.append(a[Int(n >> 18)])
                    out.append(a[Int(n >> 12 & 63)])
                    out.append(a[Int(n >> 6 & 63)])
                    out.append(a[Int(n & 63)])
                    i += 3
                }
                let rest = range.upperBound - i
                if rest > 0 {
                    let n = UInt32(b[i]) << 16 | (rest == 2 ? UInt32(b[i + 1]) << 8 : 0)
                    out.append(a[Int(n >> 18)])
                    out.append(a[Int(n >> 12 & 63)])
                    out.append(rest == 2 ? a[Int(n >> 6 & 63)] : UInt8(ascii: "="))
                    out.append(UInt8(ascii: "="))
                }
            }
        }
    }

    /// Appends the base64 text of all of `bytes`.
    public static func append(_ bytes: [UInt8], to out: inout [UInt8]) { append(bytes, 0..<bytes.count, to: &out) }
}
