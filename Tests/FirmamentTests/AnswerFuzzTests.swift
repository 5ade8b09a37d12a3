import Foundation
import Testing
@testable import FirmBase
@testable import FirmModel
@testable import FirmEC2
@testable import FirmEtcdState
import FirmTestSupport

/// Hundreds of mutated server answers (cut, a piece doubled, pieces swapped, a number blown up,
/// a byte flipped) go through the code that reads etcd's and EC2's answers: each is read or
/// refused with an error, never a trap, and what is read stays within its bounds.
@Suite("Hostile answers: mutated etcd and EC2 answers")
struct AnswerFuzzTests {
    static let etcdRange = #"{"header":{"cluster_id":"1","member_id":"2","revision":"42","raft_term":"3"},"kvs":[{"key":"L2Zpcm0vbGFiL2FwcC93ZWI=","create_revision":"5","mod_revision":"40","version":"3","value":"eyJ2bUlkIjoiYSJ9","lease":"7587874426734589443"},{"key":"L2Zpcm0vbGFiL21ldGE=","create_revision":"4","mod_revision":"41","version":"9","value":"e30="}],"more":true,"count":"2"}"#
    static let ec2Instances = """
        <?xml version="1.0" encoding="UTF-8"?>
        <DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><reservationSet><item><reservationId>r-1</reservationId>\
        <instancesSet><item><instanceId>i-0123456789abcdef0</instanceId><instanceState><code>16</code><name>running</name></instanceState>\
        <privateIpAddress>10.0.1.5</privateIpAddress><ipAddress>203.0.113.9</ipAddress><instanceType>t3.micro</instanceType>\
        <placement><availabilityZone>us-east-1a</availabilityZone></placement><networkInterfaceSet><item><networkInterfaceId>eni-1</networkInterfaceId>\
        <subnetId>subnet-1</subnetId><attachment><deviceIndex>0</deviceIndex></attachment></item></networkInterfaceSet>\
        <tagSet><item><key>firm:sandbox</key><value>lab</value></item><item><key>Name</key><value>web__1</value></item></tagSet></item></instancesSet>\
        </item></reservationSet><nextToken>abc</nextToken></DescribeInstancesResponse>
        """

    /// One mutation of `bytes`, drawn from `rng`.
    static func mutate(_ bytes: [UInt8], _ rng: inout SplitMix) -> [UInt8] {
        guard bytes.count > 2 else { return bytes }
        let i = Int.random(in: 0..<bytes.count, using: &rng), j = Int.random(in: i..<bytes.count, using: &rng)
        switch Int.random(in: 0..<5, using: &rng) {
        case 0: return Array(bytes[..<i])
        case 1: return Array(bytes[..<j]) + Array(bytes[i...])
        case 2: return Array(bytes[j...]) + Array(bytes[i..<j]) + Array(bytes[..<i])
        case 3:
            // A number at or past its type's limit where a digit stood.
            guard let d = bytes.firstIndex(where: { (0x30...0x39).contains($0) }) else { return bytes }
            let big = Array(["9223372036854775807", "-9223372036854775808", "99999999999999999999999", "1e308"][Int.random(in: 0..<4, using: &rng)].utf8)
            return Array(bytes[..<d]) + big + Array(bytes[(d + 1)...])
        default:
            var copy = bytes
            copy[i] ^= UInt8.random(in: 1...255, using: &rng)
            return copy
        }
    }

    @Test("500 mutated etcd range answers are read or refused, never a trap")
    func etcd() throws {
        var rng = SplitMix(seed: 0xE7CD)
        var read = 0, refused = 0
        for _ in 0..<500 {
            let bytes = Self.mutate(Self.mutate(Array(Self.etcdRange.utf8), &rng), &rng)
            do {
                let node = try EtcdCallError.check(data: bytes, status: 200, endpoint: "e:1", path: "/v3/kv/range", url: "etcd://e:1/firm")
                let kvs = try Etcd.kvs(node, url: "etcd://e:1/firm")
                _ = try Etcd.revision(node, url: "etcd://e:1/firm")
                var budget = RangeBudget(prefix: "/firm/", url: "etcd://e:1/firm")
                try budget.take(kvs, from: "/firm/", end: Etcd.rangeEnd("/firm/"), limit: 1000, more: Etcd.bool(node, "more"))
                #expect(kvs.allSatisfy { (0...Etcd.maxNumber).contains($0.modRevision) && (0...Etcd.maxNumber).contains($0.createRevision) })
                read += 1
            } catch {
                #expect(!"\(error)".isEmpty)
                refused += 1
            }
        }
        #expect(read + refused == 500 && refused > 0)
    }

    @Test("500 mutated DescribeInstances answers are read or refused, never a trap")
    func ec2() {
        var rng = SplitMix(seed: 0xEC2)
        let original = XMLTree.parse(Data(Self.ec2Instances.utf8))
        #expect(original?.items("reservationSet").first?.items("instancesSet").compactMap(EC2Instance.init).first?.id == "i-0123456789abcdef0")
        var parsed = 0
        for _ in 0..<500 {
            let bytes = Self.mutate(Self.mutate(Array(Self.ec2Instances.utf8), &rng), &rng)
            guard let tree = XMLTree.parse(Data(bytes)) else { continue }
            parsed += 1
            for reservation in tree.items("reservationSet") {
                for item in reservation.items("instancesSet") {
                    if let instance = EC2Instance(item) { _ = instance.observation }
                }
            }
            _ = EC2Errors.error(provider: "aws", operation: "observe", action: "DescribeInstances", status: 500, tree: tree, body: Data(bytes))
        }
        // Most mutations break the XML; the values are mutated on their own as well.
        let text = Self.ec2Instances
        var values: [Range<String.Index>] = []
        var from = text.startIndex
        while let open = text[from...].firstIndex(of: ">"), let close = text[open...].firstIndex(of: "<") {
            if text.index(after: open) < close { values.append(text.index(after: open)..<close) }
            from = close
        }
        let hostile = ["", "9223372036854775807", "-1", "1e999", String(repeating: "9", count: 400), "\u{1b}[2J", "a\nfirm: done", "&amp;&lt;", "🙂"]
        for range in values {
            for value in hostile {
                var mutated = text
                mutated.replaceSubrange(range, with: value)
                guard let tree = XMLTree.parse(Data(mutated.utf8)) else { continue }
                parsed += 1
                for item in tree.items("reservationSet").flatMap({ $0.items("instancesSet") }) { _ = EC2Instance(item)?.observation }
            }
        }
        #expect(parsed > values.count)
    }
}
