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

/// `entries` and `members` hand back an object's members without a copy when they are fine, so
/// these check the other paths: duplicates (in small objects, which are scanned, and in large
/// ones, which are hashed), unknown keys and missing keys.
@Suite("Object checks")
struct ObjectCheckTests {
    struct Case: CustomStringConvertible, Sendable {
        var name: String
        var text: String
        /// The keys kept, in order, with their values' text.
        var kept: [String]
        var problems: [String]
        var description: String { name }
    }

    static func large(_ extra: String) -> String {
        "{" + (0..<20).map { "\"k\($0)\": \($0)" }.joined(separator: ", ") + extra + "}"
    }

    static let entryCases: [Case] = [
        Case(name: "no duplicates", text: #"{"a": 1, "b": 2}"#, kept: ["a=1", "b=2"], problems: []),
        Case(name: "empty", text: "{}", kept: [], problems: []),
        Case(name: "a duplicate keeps the first", text: #"{"a": 1, "b": 2, "a": 3}"#, kept: ["a=1", "b=2"],
             problems: ["o.a: duplicate key (first defined at 1:2)"]),
        Case(name: "every duplicate is reported", text: #"{"a": 1, "a": 2, "b": 3, "b": 4, "a": 5}"#, kept: ["a=1", "b=3"],
             problems: ["o.a: duplicate key (first defined at 1:2)", "o.b: duplicate key (first defined at 1:18)", "o.a: duplicate key (first defined at 1:2)"]),
        Case(name: "a large object without duplicates", text: large(""), kept: (0..<20).map { "k\($0)=\($0)" }, problems: []),
        Case(name: "a large object with duplicates", text: large(#", "k3": 99, "z": 1, "k19": 98"#), kept: (0..<20).map { "k\($0)=\($0)" } + ["z=1"],
             problems: ["o.k3: duplicate key (first defined at 1:29)", "o.k19: duplicate key (first defined at 1:191)"]),
    ]

    static func text(_ node: JSONNode) -> String {
        if case .number(let n) = node.kind { return n }
        return node.typeName
    }

    @Test("duplicate keys are reported and dropped", arguments: entryCases)
    func entries(_ c: Case) throws {
        var context = DecodingContext(file: "f.json")
        let entries = try #require(context.entries(of: try JSONReader.parse(c.text), at: JSONPath("o"), what: "an object"))
        #expect(entries.map { "\($0.0)=\(Self.text($0.2))" } == c.kept)
        #expect(context.diagnostics.map { "\($0.path): \($0.message)" } == c.problems)
    }

    static let memberCases: [Case] = [
        Case(name: "all allowed", text: #"{"b": 2, "a": 1}"#, kept: ["b=2", "a=1"], problems: []),
        Case(name: "an unknown key is dropped with a hint", text: #"{"a": 1, "bb": 2, "b": 3}"#, kept: ["a=1", "b=3"],
             problems: ["o.bb: unknown key (did you mean b?)"]),
        Case(name: "a missing required key", text: #"{"b": 2}"#, kept: ["b=2"], problems: ["o: missing required key \"a\""]),
        Case(name: "an unknown key and a duplicate", text: #"{"a": 1, "zzzz": 2, "a": 3}"#, kept: ["a=1"],
             problems: ["o.a: duplicate key (first defined at 1:2)", "o.zzzz: unknown key; expected one of: a, b"]),
        Case(name: "not an object", text: "[1]", kept: [], problems: ["o: expected an object, found an array"]),
    ]

    @Test("only allowed keys are kept, and required ones are asked for", arguments: memberCases)
    func members(_ c: Case) throws {
        var context = DecodingContext(file: "f.json")
        let fields = context.members(of: try JSONReader.parse(c.text), at: JSONPath("o"), allowed: ["a", "b"], required: ["a"])
        #expect((fields?.members ?? []).map { "\($0.key)=\(Self.text($0.value))" } == c.kept)
        #expect(context.diagnostics.map { "\($0.path): \($0.message)" } == c.problems)
        if let fields {
            for key in ["a", "b"] { #expect(fields[key].map(Self.text) == c.kept.first { $0.hasPrefix(key + "=") }.map { String($0.dropFirst(2)) }) }
        }
    }

    @Test("a key is a known key only with the same bytes, while keys equal as Swift strings are still duplicates")
    func keysAndUnicode() throws {
        var context = DecodingContext(file: "f.json")
        // "\u{212A}" is the Kelvin sign, canonically equivalent to "K".
        let kelvin = context.members(of: try JSONReader.parse("{\"\u{212A}ind\": 1, \"b\": 2}"), at: JSONPath("o"), allowed: ["Kind", "b"])
        #expect(kelvin?["Kind"] == nil && kelvin?["b"] != nil)
        #expect(context.diagnostics.count == 1 && context.diagnostics[0].message.contains("unknown key"), "\(context.diagnostics)")

        var again = DecodingContext(file: "f.json")
        let entries = again.entries(of: try JSONReader.parse("{\"\u{E9}\": 1, \"e\u{301}\": 2}"), at: JSONPath("o"), what: "an object")
        #expect(entries?.count == 1, "a dictionary of attributes would keep only one of them")
        #expect(again.diagnostics.count == 1 && again.diagnostics[0].message.contains("duplicate key"), "\(again.diagnostics)")
    }
}

