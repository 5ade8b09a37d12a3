import Foundation

/// A byte string to find in others: Knuth–Morris–Pratt, so a search is linear in the text
/// whatever the two hold, with memchr skipping to the next candidate first byte.
struct BytePattern: Sendable {
    let bytes: [UInt8]
    /// `fallback[k]`: the length of the longest proper prefix of `bytes[0..<k]` that is also its
    /// suffix, for k in 1...count.
    private let fallback: [Int]

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        var fallback = [Int](repeating: 0, count: bytes.count + 1)
        var k = 0
        if bytes.count > 1 {
            for i in 1..<bytes.count {
                while k > 0 && bytes[i] != bytes[k] { k = fallback[k] }
                if bytes[i] == bytes[k] { k += 1 }
                fallback[i + 1] = k
            }
        }
        self.fallback = fallback
    }

    /// Where the first occurrence at or after `start` begins, or nil.
    func firstIndex(in text: UnsafeBufferPointer<UInt8>, from start: Int = 0) -> Int? {
        let n = bytes.count
        guard n > 0, start >= 0, text.count - start >= n, let base = text.baseAddress else { return nil }
        return bytes.withUnsafeBufferPointer { pattern in
            var i = start, k = 0
            while i < text.count {
                if k == 0 {
                    // Nothing matched yet: jump to the next byte that can begin a match.
                    guard let hit = memchr(base + i, Int32(pattern[0]), text.count - i) else { return nil }
                    i = base.distance(to: hit.assumingMemoryBound(to: UInt8.self)) + 1
                    k = 1
                } else if text[i] == pattern[k] {
                    i += 1
                    k += 1
                } else {
                    k = fallback[k]
                    continue
                }
                if k == n { return i - n }
            }
            return nil
        }
    }

    /// Every non-overlapping occurrence, left to right, replaced by `replacement`; nil when
    /// there is none.
    func replacingAll(in text: UnsafeBufferPointer<UInt8>, with replacement: [UInt8]) -> [UInt8]? {
        guard var hit = firstIndex(in: text) else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(text.count + replacement.count)
        var copied = 0
        while true {
            out.append(contentsOf: UnsafeBufferPointer(rebasing: text[copied..<hit]))
            out.append(contentsOf: replacement)
            copied = hit + bytes.count
            guard let next = firstIndex(in: text, from: copied) else { break }
            hit = next
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: text[copied...]))
        return out
    }
}

enum ByteText {
    /// Whether every byte is below 0x80.
    static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var combined: UInt8 = 0
        for byte in bytes { combined |= byte }
        return combined < 0x80
    }

    /// `body` over the string's UTF-8 bytes, copying only a string that isn't stored as
    /// contiguous UTF-8.
    static func withUTF8<R>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let result = text.utf8.withContiguousStorageIfAvailable(body) { return result }
        var copy = text
        return copy.withUTF8(body)
    }
}
