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

/// BlueprintFastPath and StateFastPath read the common case straight from the bytes. They must
/// never accept what the general way (through the tree) rejects, nor decode anything
/// differently: on every file here, and on thousands of mutants of them, the two agree.
@Suite("Fast paths: blueprints and states read without a tree agree with the general way")
struct FastPathTests {
    static var repo: String { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path }

    /// The example blueprints, and one with everything an app may hold, spelled unusually.
    static func blueprints() throws -> [(String, [UInt8])] {
        var files: [(String, [UInt8])] = []
        for name in ["quickstart", "three-tier-l2", "l3-sandbox", "ec2-sandbox"] {
            files.append((name, Array(try Data(contentsOf: URL(fileURLWithPath: repo + "/blueprints/\(name).json")))))
        }
        let odd = """
            \u{FEFF}{ "apps": {
              "web": {"power": "off", "waitForIP": false, "attributes": {"Note": "tab\\there \\"q\\" \\u00e9 \\ud83d\\ude00", "ünï": "x",
                      "Secret": {"env": "WEB_SECRET"}},
                      "deploymentPath": {"attributes": {"CPU": "2"}, "deploymentType": "large", "provider": "sim"}},
              "db": {"deploymentPath": {"provider": "sim", "deploymentType": "small"}, "waitForIP": true, "power": "on"}
             },
             "name": "odd", "version": 1, "ttl": "2h",
             "providers": {"sim": {"type": "simulated", "connectivity": "L2"}},
             "networks": {"front": {"provider": "sim", "vlan": "auto"}}, "connectors": [{"from": "web", "to": "front"}]
            }
            """
        files.append(("odd", Array(odd.utf8)))
        // Generated: apps repeat the last app's deployment path and attributes, or differ from
        // them in their last member only, as the fast path reuses what repeats.
        var apps: [String] = []
        for i in 0..<24 {
            let extra = i % 3 == 2 ? #", "Disk": "\#(i)""# : ""
            apps.append(#""a\#(i)": {"deploymentPath": {"provider": "sim", "deploymentType": "small", "attributes": {"CPU": "2"\#(extra)}}, "#
                + #""attributes": {"User": "admin", "Password": {"env": "PW"}\#(extra)}, "power": "\#(i % 4 == 0 ? "off" : "on")"}"#)
        }
        let generated = #"{"version": 1, "name": "gen", "providers": {"sim": {"type": "simulated"}}, "apps": {"# + apps.joined(separator: ", ") + "}}"
        files.append(("generated", Array(generated.utf8)))
        return files
    }

    /// The same bytes decoded the general way: through the tree.
    static func general(_ bytes: [UInt8]) -> Result<Blueprint, BlueprintError> {
        do {
            let root: JSONNode
            do { root = try JSONReader.parse(bytes) } catch { return .failure(.invalid([Diagnostic(file: "b.json", position: error.position, path: "", message: error.message)])) }
            return .success(try BlueprintDecoder.decode(bytes, file: "b.json", types: BuiltIn.providerTypes, root: root))
        } catch {
            return .failure(error)
        }
    }

    static func decoded(_ bytes: [UInt8]) -> Result<Blueprint, BlueprintError> {
        do { return .success(try BlueprintDecoder.decode(bytes, file: "b.json", types: BuiltIn.providerTypes)) } catch { return .failure(error) }
    }

    @Test("every example blueprint is read by the fast path, to the same blueprint as the general way")
    func examples() throws {
        for (name, bytes) in try Self.blueprints() {
            #expect(BlueprintFastPath.read(bytes) != nil, "\(name) missed the fast path")
            let fast = Self.decoded(bytes)
            #expect(fast == Self.general(bytes), "\(name)")
            if case .failure(let error) = fast { Issue.record("\(name): \(error)") }
        }
    }

    @Test("a mutated blueprint decodes to the same blueprint, or the same errors, both ways",
          arguments: [UInt64(1), 2, 3])
    func blueprintMutants(seed: UInt64) throws {
        var random = SplitMix(seed: seed)
        var accepted = 0
        for (name, bytes) in try Self.blueprints() {
            for _ in 0..<400 {
                let mutant = Mutator.mutate(bytes, &random)
                let fast = Self.decoded(mutant)
                let general = Self.general(mutant)
                #expect(fast == general, "\(name): \(String(decoding: mutant, as: UTF8.self))")
                if case .success = fast { accepted += 1 }
            }
        }
        // Some mutants stay valid (a changed letter in a value, say), so both ways accept them.
        #expect(accepted > 50)
    }

    @Test("a blueprint read once by apply (ParsedFile.parse) decodes to what the decoder reads itself")
    func preread() throws {
        for (name, bytes) in try Self.blueprints() {
            let parsed = try ParsedFile.parse(path: "b.json", bytes: bytes)
            #expect(parsed.apps != nil, "\(name) missed the fast path")
            #expect(try BlueprintDecoder.load(path: "b.json", types: BuiltIn.providerTypes, displayName: "b.json", preread: parsed) == Self.decoded(bytes).get(), "\(name)")
        }
        // An app the fast path can't take (an unknown key) is reported as the general way reports it.
        let bad = Array(#"{"version": 1, "name": "b", "providers": {"sim": {"type": "simulated"}}, "apps": {"a": {"deploymentPath": {"provider": "sim", "deploymentType": "x"}, "powr": "on"}}}"#.utf8)
        let parsed = try ParsedFile.parse(path: "b.json", bytes: bad)
        #expect(parsed.apps == nil)
        #expect(throws: BlueprintError.self) { try BlueprintDecoder.load(path: "b.json", types: BuiltIn.providerTypes, displayName: "b.json", preread: parsed) }
        #expect(String(describing: Self.decoded(bad)).contains("apps.a.powr: unknown key"))
    }

    static func states() throws -> [(String, [UInt8])] {
        let rich = StateEncodingTests.rich()
        var bench = State(lineage: "l", serial: 7, blueprint: "bench")
        for i in 0..<20 { bench.apps["app\(i)"] = StateEncodingTests.app(i) }
        for i in 0..<20 { bench.apps["app\(i)"]!.vmName = "app\(i)__\(i)"; bench.apps["app\(i)"]!.vmUuid = "u\(i)" }
        // A state firm wrote before 0.2: indented, with pathDigest and vmDetails.
        var old = String(decoding: JSONWriter(pretty: true).bytes(rich.json), as: UTF8.self)
        old = old.replacingOccurrences(of: "\"vmName\": \"v\"", with: "\"pathDigest\": \"abc\", \"vmDetails\": {\"Status\": [1, {\"a\": null}]}, \"vmName\": \"v\"")
        return [("rich", rich.compactBytes), ("bench", bench.compactBytes), ("old", Array(old.utf8)), ("empty", State(lineage: "l", serial: 0, blueprint: "b").compactBytes)]
    }

    static func generalState(_ bytes: [UInt8]) -> State? {
        guard let node = try? JSONReader.parse(bytes) else { return nil }
        var context = DecodingContext(file: "s.json")
        guard let state = State.decode(node, &context), context.diagnostics.isEmpty else { return nil }
        return state
    }

    @Test("every sample state is read by the fast path, to the same state as the general way")
    func sampleStates() throws {
        for (name, bytes) in try Self.states() {
            let fast = StateFastPath.read(bytes, file: "s.json")
            #expect(fast != nil, "\(name) missed the fast path")
            #expect(fast == Self.generalState(bytes), "\(name)")
        }
        #expect(StateFastPath.read(try Self.states()[0].1, file: "s.json") == StateEncodingTests.rich())
    }

    @Test("a mutated state the fast path accepts is one the general way accepts, with the same content",
          arguments: [UInt64(1), 2, 3])
    func stateMutants(seed: UInt64) throws {
        var random = SplitMix(seed: seed)
        var accepted = 0, missed = 0
        for (name, bytes) in try Self.states() {
            for _ in 0..<400 {
                let mutant = Mutator.mutate(bytes, &random)
                let general = Self.generalState(mutant)
                guard let fast = StateFastPath.read(mutant, file: "s.json") else {
                    if general != nil { missed += 1 }
                    continue
                }
                accepted += 1
                #expect(general == fast, "\(name): \(String(decoding: mutant, as: UTF8.self))")
            }
        }
        #expect(accepted > 50)
        // The loader falls back to the general way on a miss, so a miss only costs time; but the
        // fast path must not miss most valid states.
        #expect(missed < accepted)
    }
}

extension FastPathTests {
    @Test("a world log line read straight from its bytes gives the VM its tree gives, on sample lines and their mutants")
    func worldLines() {
        var vm = SimulatedVM(vmName: "web__1", vmUuid: "u-1", app: "web", sandbox: "lab", deploymentType: "small", status: .running, ip: "10.0.0.2",
                             publicIp: "", mac: "02:00:00:00:00:01")
        var lines: [[UInt8]] = []
        for vlans in [[:], [100: "02:00:00:00:00:01", 200: "02:00:00:00:00:02"]] as [[Int: String]] {
            vm.vlans = vlans
            vm.subnets = vlans.isEmpty ? [] : ["subnet-1"]
            var line = Array(#"{"put":"#.utf8)
            vm.writeCompact(into: &line)
            line.append(UInt8(ascii: "}"))
            lines.append(line)
        }
        for line in lines {
            #expect(line.withUnsafeBufferPointer { SimulatedVM.putLine($0) } != nil)
        }
        var random = SplitMix(seed: 7)
        var accepted = 0
        for i in 0..<3000 {
            let mutant = Mutator.mutate(lines[i % lines.count], &random)
            guard let fast = mutant.withUnsafeBufferPointer({ SimulatedVM.putLine($0) }) else { continue }
            accepted += 1
            let tree = (try? JSONReader.parse(mutant))?["put"].flatMap(SimulatedVM.init)
            #expect(tree == fast, "\(String(decoding: mutant, as: UTF8.self))")
        }
        #expect(accepted > 100)
    }
}

/// Mutations that keep a JSON document plausible: a changed byte, a deleted or repeated span, a
/// key renamed, a value swapped for another of another type, an escape spelled differently.
enum Mutator {
    static let bytes: [UInt8] = Array("\"\\{}[],:0a \n\t-.eE\u{01}".utf8) + [0xC3, 0xA9, 0xFF]
    static let values = ["1", "true", "null", "[]", "{}", "\"\"", "\"on\"", "\"off\"", "{\"env\": \"X\"}", "{\"env\": \"1X\"}", "\"a\\u0000b\"", "\"x\\\"y\""]
    static let keys = ["\"apps\"", "\"name\"", "\"power\"", "\"vmName\"", "\"vmUuid\"", "\"provider\"", "\"attributes\"", "\"env\"", "\"\"", "\"extra\"",
                       "\"\\u0070ower\"", "\"deploymentType\"", "\"connections\"", "\"additionalData\"", "\"waitForIP\""]

    static func mutate(_ input: [UInt8], _ random: inout SplitMix) -> [UInt8] {
        var out = input
        guard !out.isEmpty else { return out }
        let at = Int.random(in: 0..<out.count, using: &random)
        switch Int.random(in: 0..<7, using: &random) {
        case 0: out[at] = bytes.randomElement(using: &random)!
        case 1: out.remove(at: at)
        case 2:
            let end = min(out.count, at + Int.random(in: 1...40, using: &random))
            out.insert(contentsOf: Array(out[at..<end]), at: end)
        case 3, 4:
            // The string at or after `at` (a key or a value) becomes another.
            guard let open = out[at...].firstIndex(of: UInt8(ascii: "\"")),
                let close = out[(open + 1)...].firstIndex(where: { $0 == UInt8(ascii: "\"") }) else { return out }
            let replacement = Array((Bool.random(using: &random) ? keys : values).randomElement(using: &random)!.utf8)
            out.replaceSubrange(open...close, with: replacement)
        case 5:
            // A member repeated: the text from a key to the next comma, copied after it.
            guard let comma = out[at...].firstIndex(of: UInt8(ascii: ",")),
                let start = out[..<comma].lastIndex(where: { $0 == UInt8(ascii: "{") || $0 == UInt8(ascii: ",") }) else { return out }
            out.insert(contentsOf: Array(out[(start + 1)...comma]), at: comma + 1)
        default:
            // A plain letter in a string spelled as an escape.
            guard let i = out[at...].firstIndex(where: { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") }) else { return out }
            out.replaceSubrange(i...i, with: Array(String(format: "\\u%04x", out[i]).utf8))
        }
        return out
    }
}
