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

/// Mutated and truncated blueprints never crash the reader or the validator: each one is
/// either valid or refused with problems that name the file, a JSON path or a position, and say
/// what was expected.
@Suite("Hostile input")
struct HostileInputTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func example(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: root.appendingPathComponent("blueprints/\(name)")))
    }

    /// Decodes `bytes`; when refused, every problem must be located and say what it expected.
    /// Returns whether it was refused.
    @discardableResult
    func check(_ bytes: [UInt8], _ what: String) -> Bool {
        do {
            _ = try BlueprintDecoder.decode(bytes, file: "fuzz.json", types: BuiltIn.providerTypes)
            return false
        } catch {
            guard case .invalid(let problems) = error else { Issue.record("\(what): \(error)"); return true }
            #expect(!problems.isEmpty, "\(what): refused with no problem listed")
            for p in problems {
                #expect(p.file == "fuzz.json", "\(what): \(p)")
                #expect(p.position != nil || !p.path.isEmpty, "\(what): \(p) has neither a position nor a path")
                #expect(p.description.hasPrefix("fuzz.json"), "\(what): \(p)")
                #expect(p.message.count > 8, "\(what): \(p) says too little")
            }
            return true
        }
    }

    @Test("every truncation of a blueprint is refused cleanly", arguments: ["three-tier-l2.json", "l3-sandbox.json"])
    func truncations(_ name: String) throws {
        let bytes = try Self.example(name)
        // Cut anywhere before its closing brace, a blueprint is not a complete JSON document.
        let end = try #require(bytes.lastIndex(of: UInt8(ascii: "}")))
        for length in 0...end {
            #expect(check(Array(bytes[0..<length]), "\(name) cut at \(length)"), "\(name) cut at \(length) was accepted")
        }
        #expect(!check(bytes, "\(name) whole"), "the whole file is valid")
    }

    @Test("3,000 random byte mutations never crash the reader or the validator")
    func mutations() throws {
        var rng = SplitMix(seed: 0x5EED)
        let seeds = try ["quickstart.json", "three-tier-l2.json", "l3-sandbox.json"].map(Self.example)
        let alphabet = Array("{}[]\",:0123456789-eE.tfnul \\/\u{0}\u{7f}é😀".utf8) + [0xFF, 0xC0, 0xED, 0xA0, 0x80]
        for round in 0..<3_000 {
            var bytes = seeds[round % seeds.count]
            for _ in 0..<Int.random(in: 1...6, using: &rng) {
                let at = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: bytes[at] = alphabet.randomElement(using: &rng)!
                case 1: bytes.insert(alphabet.randomElement(using: &rng)!, at: at)
                default: if bytes.count > 1 { bytes.remove(at: at) }
                }
            }
            check(bytes, "round \(round)")
        }
    }
}

@Suite("Hostile state files")
struct HostileStateTests {
    @Test("1,000 damaged snapshots are loaded or refused with a StateError naming the file, never a crash, and never rewritten")
    func damagedSnapshots() throws {
        let dir = TempDirectory()
        let paths = StatePaths(snapshot: dir.file("lab.state.json"))
        var state = State(lineage: "L", serial: 4, blueprint: "lab")
        state.apps["web"] = StateStoreTests.app(1)
        state.networks["n"] = NetworkState(provider: "sim", vlan: 12)
        state.infra["sky"] = InfraState(cidr: "10.0.0.0/16", networkId: "net", keys: "k")
        let good = JSONWriter(pretty: true).bytes(state.json)
        var rng = SplitMix(seed: 42)
        var refused: [Bool: Int] = [:]
        for round in 0..<1_000 {
            var bytes = good
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            try Data(bytes).write(to: URL(fileURLWithPath: paths.snapshot))
            let before = try FileManager.default.attributesOfItem(atPath: paths.snapshot)[.modificationDate] as? Date
            do {
                _ = try StateStore.load(paths, blueprint: nil)
                refused[false, default: 0] += 1
            } catch {
                refused[true, default: 0] += 1
                switch error {
                case .corrupt(let file, let reason), .io(let file, let reason):
                    #expect(file == paths.snapshot, "round \(round)")
                    #expect(reason.count > 10, "round \(round): \(reason)")
                case .newer(let file, _): #expect(file == paths.snapshot, "round \(round)")
                default: Issue.record("round \(round): unexpected \(error)")
                }
            }
            // Loading never writes: not the bytes, not even the time stamp, and no file beside it.
            #expect(try Data(contentsOf: URL(fileURLWithPath: paths.snapshot)) == Data(bytes), "round \(round): the file was rewritten")
            #expect(try FileManager.default.attributesOfItem(atPath: paths.snapshot)[.modificationDate] as? Date == before, "round \(round)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["lab.state.json"], "round \(round)")
        }
        #expect(refused[true, default: 0] > 500, "most damage is caught: \(refused)")
    }
}
