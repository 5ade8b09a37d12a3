/// Strict UTF-8 validation (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
package enum UTF8Validation {
    /// What a scan found: the offset of the first byte that starts an invalid sequence, or that
    /// every sequence is valid, and whether every byte was ASCII.
    package enum Scan: Equatable {
        case invalid(at: Int)
        case valid(ascii: Bool)
    }

    /// The end of the run of ASCII bytes that starts at `start`, 32 bytes at a time.
    static func asciiPrefix(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var i = start
        let n = bytes.count
        guard let base = bytes.baseAddress else { return n }
        let high = SIMD32<UInt8>(repeating: 0x80)
        while i + 32 <= n {
            let chunk = UnsafeRawPointer(base + i).loadUnaligned(as: SIMD32<UInt8>.self)
            if any(chunk .>= high) { break }
            i += 32
        }
        while i < n, bytes[i] < 0x80 { i += 1 }
        return i
    }

    /// Validates `bytes` in one pass, which also finds whether they are all ASCII.
    package static func scan(_ bytes: UnsafeBufferPointer<UInt8>) -> Scan {
        var i = 0
        var ascii = true
        let n = bytes.count
        while i < n {
            let b0 = bytes[i]
            if b0 < 0x80 {
                i = asciiPrefix(bytes, from: i)
                continue
            }
            ascii = false
            let length: Int
            var lower: UInt8 = 0x80
            var upper: UInt8 = 0xBF
            switch b0 {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; lower = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; upper = 0x9F
            case 0xF0: length = 4; lower = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; upper = 0x8F
            default: return .invalid(at: i)
            }
            guard i + length <= n else { return .invalid(at: i) }
            let b1 = bytes[i + 1]
            guard b1 >= lower && b1 <= upper else { return .invalid(at: i) }
            for k in 2..<max(2, length) where bytes[i + k] & 0xC0 != 0x80 {
                return .invalid(at: i)
            }
            i += length
        }
        return .valid(ascii: ascii)
    }
}
