import Foundation
import Testing
@testable import FirmBase
@testable import FirmModel

/// What a server or a driver says reaches the terminal escaped and cut, never raw.
@Suite("Text from outside: escaped and cut")
struct OutsideTextTests {
    @Test("control characters, line feeds included, are escaped; text under the limit is otherwise kept", arguments: [
        ("boom", "boom"),
        ("boom\nfirm: apply complete", "boom\\u{a}firm: apply complete"),
        ("a\r\u{1b}[2Jb\u{85}", "a\\u{d}\\u{1b}[2Jb\\u{85}"),
        ("right\u{202e}left", "right\\u{202e}left"),
        ("é café", "é café"),
    ])
    func escaped(_ text: String, _ expected: String) {
        #expect(ControlCharacters.outside(text) == expected)
    }

    @Test("a long message is cut on a character's boundary, saying how many bytes were cut")
    func cut() {
        let long = String(repeating: "x", count: 4 << 20)
        let shown = ControlCharacters.outside(long)
        #expect(shown == String(repeating: "x", count: ControlCharacters.outsideLimit) + "… (\((4 << 20) - ControlCharacters.outsideLimit) more bytes cut)")
        // Two-byte characters: 3 bytes allowed keep one, never half of one.
        #expect(ControlCharacters.outside("ééé", limit: 3) == "é… (4 more bytes cut)")
    }

    struct Talker: StubProvider {
        let name = "talker"
        let message: String
        var limits: ProviderLimits { ProviderLimits() }
        func validate() async throws { throw ProviderError(provider: "talker", operation: "validate", message: message, code: "Code\nfirm: done") }
    }

    @Test("a provider's error is redacted, escaped and cut before anyone sees it")
    func providerErrors() async throws {
        let secret = "hunter2-very-secret"
        let message = "denied for \(secret)\nfirm: apply complete (3 done)\n" + String(repeating: "y", count: 1 << 20)
        let checked = CheckedProvider(Talker(message: message), secrets: Secrets([secret]), sandbox: "lab")
        let error = await #expect(throws: ProviderError.self) { try await checked.validate() }
        let said = try #require(error)
        #expect(!said.message.contains(secret) && !said.message.contains("\n"))
        #expect(said.message.hasPrefix("denied for (redacted)\\u{a}firm: apply complete"))
        #expect(said.message.utf8.count < 500 && said.message.hasSuffix("more bytes cut)"))
        #expect(said.code == "Code\\u{a}firm: done")
    }
}
