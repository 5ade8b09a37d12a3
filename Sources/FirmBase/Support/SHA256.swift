/// SHA-256 (FIPS 180-4), for digests of blueprints, plans and deployment paths.
///
/// Foundation on Linux has no hash functions and the project takes no package dependencies, so
/// this is the small piece written by hand. It is tested against the NIST vectors.
public struct SHA256: Sendable {
    private var h0: UInt32 = 0x6a09e667, h1: UInt32 = 0xbb67ae85, h2: UInt32 = 0x3c6ef372, h3: UInt32 = 0xa54ff53a
    private var h4: UInt32 = 0x510e527f, h5: UInt32 = 0x9b05688c, h6: UInt32 = 0x1f83d9ab, h7: UInt32 = 0x5be0cd19
    private var buffer: [UInt8] = []
    private var length: UInt64 = 0

    private static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]

    public init() {}

    /// Adds bytes to the message.
    public mutating func update<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        if bytes.withContiguousStorageIfAvailable({ update(buffer: $0) }) != nil { return }
        Array(bytes).withUnsafeBufferPointer { update(buffer: $0) }
    }

    private mutating func update(buffer p: UnsafeBufferPointer<UInt8>) {
        guard let base = p.baseAddress, !p.isEmpty else { return }
        length &+= UInt64(p.count)
        var start = 0
        if !buffer.isEmpty {
            let take = min(64 - buffer.count, p.count)
            buffer.append(contentsOf: UnsafeBufferPointer(start: base, count: take))
            start = take
            if buffer.count == 64 {
                let block = buffer
                block.withUnsafeBufferPointer { compress($0.baseAddress!, blocks: 1) }
                buffer.removeAll(keepingCapacity: true)
            }
        }
        let whole = (p.count - start) / 64
        if whole > 0 {
            compress(base + start, blocks: whole)
            start += whole * 64
        }
        if start < p.count { buffer.append(contentsOf: UnsafeBufferPointer(start: base + start, count: p.count - start)) }
    }

    /// The 32-byte digest of everything added so far.
    public func finalize() -> [UInt8] {
        var copy = self
        let bitLength = length &* 8
        var tail: [UInt8] = [0x80]
        let used = Int(length % 64)
        tail += [UInt8](repeating: 0, count: (used < 56 ? 55 - used : 119 - used))
        tail += (0..<8).reversed().map { UInt8(truncatingIfNeeded: bitLength >> (UInt64($0) * 8)) }
        copy.update(tail)
        return [copy.h0, copy.h1, copy.h2, copy.h3, copy.h4, copy.h5, copy.h6, copy.h7].flatMap { word in (0..<4).reversed().map { UInt8(truncatingIfNeeded: word >> (UInt32($0) * 8)) } }
    }

    /// The lowercase hex digest of `bytes`.
    public static func hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var hasher = SHA256()
        hasher.update(bytes)
        return Hex.lower(hasher.finalize())
    }

    /// The lowercase hex digest of a string's UTF-8.
    public static func hex(_ text: String) -> String { hex(text.utf8) }

    /// Compresses `blocks` whole blocks of 64 bytes from `data`. The state stays in locals for
    /// all of them, the rounds are unrolled so that the eight working words rotate by name, not
    /// by copying, and the message schedule is kept as a ring of 16 words.
    private mutating func compress(_ data: UnsafePointer<UInt8>, blocks: Int) {
        Self.k.withUnsafeBufferPointer { kb in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { wb in
                let k = kb.baseAddress!, w = wb.baseAddress!
                var a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7
                for n in 0..<blocks {
                    let block = data + n * 64
                    for i in 0..<16 {
                        let p = block + i * 4
                        w[i] = UInt32(p[0]) << 24 | UInt32(p[1]) << 16 | UInt32(p[2]) << 8 | UInt32(p[3])
                    }
                    var i = 0
                    while true {
                        Self.round(a, b, c, &d, e, f, g, &h, k[i] &+ w[0])
                        Self.round(h, a, b, &c, d, e, f, &g, k[i + 1] &+ w[1])
                        Self.round(g, h, a, &b, c, d, e, &f, k[i + 2] &+ w[2])
                        Self.round(f, g, h, &a, b, c, d, &e, k[i + 3] &+ w[3])
                        Self.round(e, f, g, &h, a, b, c, &d, k[i + 4] &+ w[4])
                        Self.round(d, e, f, &g, h, a, b, &c, k[i + 5] &+ w[5])
                        Self.round(c, d, e, &f, g, h, a, &b, k[i + 6] &+ w[6])
                        Self.round(b, c, d, &e, f, g, h, &a, k[i + 7] &+ w[7])
                        Self.round(a, b, c, &d, e, f, g, &h, k[i + 8] &+ w[8])
                        Self.round(h, a, b, &c, d, e, f, &g, k[i + 9] &+ w[9])
                        Self.round(g, h, a, &b, c, d, e, &f, k[i + 10] &+ w[10])
                        Self.round(f, g, h, &a, b, c, d, &e, k[i + 11] &+ w[11])
                        Self.round(e, f, g, &h, a, b, c, &d, k[i + 12] &+ w[12])
                        Self.round(d, e, f, &g, h, a, b, &c, k[i + 13] &+ w[13])
                        Self.round(c, d, e, &f, g, h, a, &b, k[i + 14] &+ w[14])
                        Self.round(b, c, d, &e, f, g, h, &a, k[i + 15] &+ w[15])
                        i += 16
                        if i == 64 { break }
                        for j in 0..<16 {
                            let x = w[(j + 1) & 15], y = w[(j + 14) & 15]
                            let s0 = x.rotr(7) ^ x.rotr(18) ^ (x >> 3)
                            let s1 = y.rotr(17) ^ y.rotr(19) ^ (y >> 10)
                            w[j] = w[j] &+ s0 &+ w[(j + 9) & 15] &+ s1
                        }
                    }
                    h0 &+= a; h1 &+= b; h2 &+= c; h3 &+= d; h4 &+= e; h5 &+= f; h6 &+= g; h7 &+= h
                    a = h0; b = h1; c = h2; d = h3; e = h4; f = h5; g = h6; h = h7
                }
            }
        }
    }

    /// One round: `d` and `h` are the two words that change; the rest shift by one name.
    @inline(__always)
    private static func round(_ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: inout UInt32, _ e: UInt32, _ f: UInt32, _ g: UInt32,
                              _ h: inout UInt32, _ kw: UInt32) {
        let t1 = h &+ (e.rotr(6) ^ e.rotr(11) ^ e.rotr(25)) &+ (g ^ (e & (f ^ g))) &+ kw
        d &+= t1
        h = t1 &+ (a.rotr(2) ^ a.rotr(13) ^ a.rotr(22)) &+ ((a & b) | (c & (a | b)))
    }
}

extension UInt32 {
    @inline(__always) fileprivate func rotr(_ n: UInt32) -> UInt32 { (self >> n) | (self << (32 - n)) }
}
