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

@Suite("Secrets")
struct SecretsTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let secrets: [String]
        let text: String
        let expected: String
        var testDescription: String { "\(secrets) in \(text.debugDescription)" }
    }

    @Test("Redaction replaces every occurrence a user would recognise", arguments: [
        Case(secrets: ["hunter2"], text: "password=hunter2", expected: "password=(redacted)"),
        Case(secrets: ["hunter2"], text: "hunter2hunter2 hunter2", expected: "(redacted)(redacted) (redacted)"),
        Case(secrets: ["hunter2"], text: "hunter hunter3 h u n t e r 2", expected: "hunter hunter3 h u n t e r 2"),
        Case(secrets: ["hunter2"], text: "", expected: ""),
        Case(secrets: ["hunter2"], text: "hunter2", expected: "(redacted)"),
        // Longest first: a secret inside another is not replaced first and the longer one left half shown.
        Case(secrets: ["pass", "password1"], text: "x password1 pass", expected: "x (redacted) (redacted)"),
        // Short secrets are not secrets (docs/blueprint.md).
        Case(secrets: ["ab", "1"], text: "ab 1", expected: "ab 1"),
        // Overlaps are found after a partial match (aab in aaab).
        Case(secrets: ["aab"], text: "aaab aab", expected: "a(redacted) (redacted)"),
        Case(secrets: ["abab"], text: "abababab", expected: "(redacted)(redacted)"),
        Case(secrets: ["abcabd"], text: "abcabcabd", expected: "abc(redacted)"),
        // Non-ASCII secrets and texts: the exact bytes...
        Case(secrets: ["pässwörd"], text: "[pässwörd]", expected: "[(redacted)]"),
        Case(secrets: ["密码密码"], text: "key=密码密码;", expected: "key=(redacted);"),
        // ...a decomposed é for a precomposed one, and the Kelvin sign for K (canonically equal)...
        Case(secrets: ["café1"], text: "caf\u{65}\u{301}1!", expected: "(redacted)!"),
        Case(secrets: ["\u{212A}ey-1"], text: "Key-1", expected: "(redacted)"),
        // ...and an echo followed by a combining mark, which Foundation's search alone misses.
        Case(secrets: ["abc"], text: "abc\u{301}", expected: "(redacted)\u{301}"),
        Case(secrets: ["hunter2"], text: "é hunter2 é", expected: "é (redacted) é"),
    ])
    func table(_ c: Case) {
        #expect(Secrets(c.secrets).redact(c.text) == c.expected)
    }

    @Test("JSON is redacted in keys and values at any depth, and returned as it is when it holds no secret")
    func json() {
        let secrets = Secrets(["s3cret"])
        let clean: JSON = ["a": ["b": [1, true, nil, "text"]], "c": "d"]
        #expect(secrets.redact(clean) == clean)
        let dirty: JSON = ["a": ["b": [1, "x s3cret y"]], "s3cret": "v", "k": ["s3cret"]]
        let expected: JSON = ["a": ["b": [1, "x (redacted) y"]], "(redacted)": "v", "k": ["(redacted)"]]
        #expect(secrets.redact(dirty) == expected)
        #expect(Secrets().redact(dirty) == dirty)
        #expect(secrets.redact(["s3cret": "s3cret"] as [String: String]) == ["(redacted)": "(redacted)"])
    }

    @Test("A secret added later is redacted from then on")
    func added() {
        let secrets = Secrets()
        #expect(secrets.redact("key-1234") == "key-1234")
        secrets.add("key-1234")
        #expect(secrets.redact("key-1234") == "(redacted)")
        #expect(secrets.redact(JSON.string("a key-1234")) == JSON.string("a (redacted)"))
    }

    @Test("The byte search agrees with a naive one on every short text over a small alphabet")
    func patternAgrees() {
        func naive(_ text: [UInt8], _ pattern: [UInt8], from start: Int) -> Int? {
            guard !pattern.isEmpty, text.count >= pattern.count, start <= text.count - pattern.count else { return nil }
            return (start...(text.count - pattern.count)).first { Array(text[$0..<($0 + pattern.count)]) == pattern }
        }
        var rng = SplitMix(seed: 7)
        for _ in 0..<3_000 {
            let text = (0..<Int(rng.next() % 24)).map { _ in UInt8(97 + rng.next() % 3) }
            let pattern = (0..<Int(1 + rng.next() % 5)).map { _ in UInt8(97 + rng.next() % 3) }
            let start = Int(rng.next() % 4)
            let found = text.withUnsafeBufferPointer { BytePattern(pattern).firstIndex(in: $0, from: start) }
            #expect(found == naive(text, pattern, from: start), "\(pattern) in \(text) from \(start)")
        }
    }
}
