import Foundation
import Testing
@testable import FirmBase
@testable import FirmModel
@testable import FirmPlanning
@testable import FirmExecution
@testable import FirmSimulated
@testable import FirmProcess
@testable import FirmEC2
@testable import FirmLocalState
@testable import FirmEtcdState
@testable import FirmSession
@testable import FirmDrift
@testable import Firmament
import FirmTestSupport

@Suite("Support")
struct SupportTests {
    @Test("SHA-256 matches the NIST vectors")
    func sha256() {
        #expect(SHA256.hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hex(String(repeating: "a", count: 1_000_000)) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test("SHA-256 gives the same digest however the message is split, from arrays or strings")
    func sha256Chunks() {
        let message = Array((0..<1_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        var one = SHA256()
        one.update(message)
        let whole = one.finalize()
        for sizes in [[1], [63], [64], [65], [7, 120, 3], [200]] {
            var hasher = SHA256()
            var start = 0, i = 0
            while start < message.count {
                let end = min(message.count, start + sizes[i % sizes.count])
                hasher.update(message[start..<end].lazy.map { $0 })  // not contiguous: the copying path
                start = end
                i += 1
            }
            #expect(hasher.finalize() == whole, "chunks of \(sizes)")
        }
        #expect(SHA256.hex(String(decoding: message.map { $0 & 0x7F }, as: UTF8.self)) == SHA256.hex(message.map { $0 & 0x7F }))
    }

    @Test("IPv4 addresses parse from dotted quads only", arguments: [
        ("0.0.0.0", UInt32(0)), ("10.0.0.2", 0x0A00_0002), ("255.255.255.255", 0xFFFF_FFFF), ("192.168.1.10", 0xC0A8_010A),
        ("10.0.0", nil), ("10.0.0.0.0", nil), ("10..0.1", nil), (".10.0.0.1", nil), ("10.0.0.1.", nil), ("256.0.0.1", nil),
        ("01.0.0.1", nil), ("10.0.0.00", nil), ("1000.0.0.1", nil), ("10.0.0.-1", nil), ("10.0.0.1 ", nil), ("", nil), ("１.2.3.4", nil),
    ] as [(String, UInt32?)])
    func ipv4(_ text: String, _ value: UInt32?) {
        #expect(IPv4Address(text)?.value == value)
        if let value { #expect(IPv4Address(text)?.description == text, "\(value)") }
    }

    @Test("random UUIDs are lowercase version 4 UUIDs that Foundation reads back, and differ")
    func randomUUIDs() {
        // 600 UUIDs take 9,600 random bytes: more than two fills of the 4 KiB pool.
        let ids = (0..<600).map { _ in UUIDText.random() }
        #expect(Set(ids).count == ids.count)
        for id in ids {
            let chars = Array(id)
            #expect(chars.count == 36 && chars[8] == "-" && chars[13] == "-" && chars[18] == "-" && chars[23] == "-", "\(id)")
            #expect(chars[14] == "4" && "89ab".contains(chars[19]), "\(id): version 4, RFC variant")
            #expect(id == id.lowercased() && UUID(uuidString: id)?.uuidString.lowercased() == id, "\(id)")
        }
        let hex = UUIDText.hex(12)
        #expect(hex.count == 12 && hex.allSatisfy { "0123456789abcdef".contains($0) })
    }

    @Test("random bytes drawn from many threads at once are never handed out twice")
    func randomPoolConcurrent() async {
        let draws = await withTaskGroup(of: [[UInt8]].self) { group in
            for _ in 0..<8 { group.addTask { (0..<200).map { _ in RandomPool.bytes(24) } } }
            var all: [[UInt8]] = []
            for await some in group { all += some }
            return all
        }
        #expect(draws.count == 1_600 && draws.allSatisfy { $0.count == 24 })
        #expect(Set(draws).count == draws.count, "every 24-byte draw differs")
        #expect(RandomPool.bytes(10_000).count == 10_000, "a draw larger than the pool")
    }

    @Test("CRC-32 matches the check value")
    func crc32() {
        #expect(CRC32.hex("123456789".utf8) == "cbf43926")
        #expect(CRC32.hex([UInt8]()) == "00000000")
        #expect(CRC32.hex("The quick brown fox jumps over the lazy dog".utf8) == "414fa339")
        #expect(CRC32.hex(AnySequence("123456789".utf8)) == "cbf43926", "a sequence without contiguous storage")
        // Eight bytes at a time, every length and alignment, against the bit-by-bit definition.
        func reference(_ bytes: ArraySlice<UInt8>) -> UInt32 {
            var crc: UInt32 = 0xFFFF_FFFF
            for byte in bytes {
                crc ^= UInt32(byte)
                for _ in 0..<8 { crc = crc & 1 != 0 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
            }
            return crc ^ 0xFFFF_FFFF
        }
        var generator = SplitMix.announced("CRC-32 of random bytes")
        let bytes = (0..<80).map { _ in UInt8.random(in: 0...255, using: &generator) }
        for start in 0..<9 {
            for end in start...bytes.count {
                #expect(CRC32.checksum(bytes[start..<end]) == reference(bytes[start..<end]), "bytes \(start)..<\(end) (seed \(generator.seed))")
            }
        }
    }

    @Test("durations parse, and format for people", arguments: [
        ("10ms", 10_000, "10ms"), ("1.5s", 1_500_000, "1.50s"), ("250us", 250, "250µs"), ("2m", 120_000_000, "120.00s"), ("0", 0, "0µs"),
        ("1.006s", 1_006_000, "1.01s"), ("999us", 999, "999µs"),
    ])
    func durations(_ text: String, _ micros: Int64, _ formatted: String) {
        #expect(DurationText.parse(text) == .microseconds(micros))
        #expect(DurationText.format(.microseconds(micros)) == formatted)
    }

    @Test("bad durations and latency ranges are refused", arguments: ["", "ms", "-1s", "10", "1x", "1e3s", "60ms..40ms", "a..b"])
    func badDurations(_ text: String) {
        #expect(LatencyRange(text) == nil)
    }

    @Test("latency ranges sample inside their bounds")
    func latencySamples() {
        let range = LatencyRange("40ms..60ms")!
        var generator = SplitMix.announced("latency samples")
        for _ in 0..<100 {
            let d = range.sample(using: &generator)
            #expect(d >= .milliseconds(40) && d <= .milliseconds(60), "\(d) (seed \(generator.seed))")
        }
    }

    @Test("CIDR parsing and containment")
    func cidr() {
        #expect(CIDR("10.0.0.0/16")?.description == "10.0.0.0/16")
        #expect(CIDR("10.0.0.1/16") == nil)
        #expect(CIDR("10.0.0.0/33") == nil)
        #expect(CIDR("10.0.0/16") == nil)
        #expect(CIDR("010.0.0.0/16") == nil)
        #expect(CIDR("10.0.0.0/16")!.contains(CIDR("10.0.3.0/24")!))
        #expect(!CIDR("10.0.0.0/16")!.contains(CIDR("10.1.0.0/24")!))
        #expect(CIDR("10.0.0.0/24")!.overlaps(CIDR("10.0.0.128/25")!))
    }

    @Test("spelling hints find near misses only")
    func spelling() {
        #expect(Spelling.closest(to: "deploymentPth", among: ["deploymentPath", "attributes"]) == "deploymentPath")
        #expect(Spelling.closest(to: "waitForIp", among: ["waitForIP", "power"]) == "waitForIP")
        #expect(Spelling.closest(to: "zzz", among: ["deploymentPath", "attributes"]) == nil)
    }

    @Test("the priority queue pops the greatest first")
    func priorityQueue() {
        var q = PriorityQueue<Int>(by: <)
        for n in [5, 1, 9, 3, 7, 9, 0] { q.push(n) }
        var out: [Int] = []
        while let n = q.pop() { out.append(n) }
        #expect(out == [9, 9, 7, 5, 3, 1, 0])
    }
}
