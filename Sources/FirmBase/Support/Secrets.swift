import Foundation
import Synchronization

/// Every secret value this run knows: values resolved from `{"env": NAME}` and createKeys keys.
/// Whatever a driver returns is redacted of them before it is stored, printed or written.
/// Shared by every provider of a run, and grows when PrepareSandboxInfra returns a key.
public final class Secrets: Sendable {
    /// What a secret becomes.
    public static let mask = "(redacted)"
    /// Values shorter than this are not redacted: replacing every "a" or "1" would make all
    /// output unreadable and hide nothing (docs/blueprint.md says so).
    public static let minimumLength = 3

    private let values = Mutex<[Secret]>([])

    public init(_ values: some Sequence<String> = []) {
        add(values)
    }

    /// Adds secrets; short and empty ones are ignored.
    public func add(_ more: some Sequence<String>) {
        values.withLock { values in
            var set = Set(values.map(\.text))
            for value in more where value.count >= Self.minimumLength { set.insert(value) }
            // Longest first, so a secret that contains another is replaced whole.
            values = set.sorted { $0.count != $1.count ? $0.count > $1.count : $0 < $1 }.map(Secret.init)
        }
    }

    public func add(_ value: String) { add([value]) }

    /// `text` with every secret replaced by the mask.
    public func redact(_ text: String) -> String {
        Self.redact(text, values.withLock { $0 })
    }

    /// A JSON value with every string (keys included) redacted. A value that holds no secret
    /// is returned as it is, not rebuilt.
    public func redact(_ json: JSON) -> JSON {
        let current = values.withLock { $0 }
        return current.isEmpty || !Self.holdsSecret(json, current) ? json : Self.redact(json, current)
    }

    /// A string map with keys and values redacted.
    public func redact(_ map: [String: String]) -> [String: String] {
        let current = values.withLock { $0 }
        if current.isEmpty { return map }
        var out: [String: String] = [:]
        for (k, v) in map { out[Self.redact(k, current)] = Self.redact(v, current) }
        return out
    }

    /// A secret, with what its search needs.
    private struct Secret: Sendable {
        let text: String
        let pattern: BytePattern
        let isASCII: Bool

        init(_ text: String) {
            self.text = text
            let bytes = Array(text.utf8)
            pattern = BytePattern(bytes)
            isASCII = bytes.withUnsafeBufferPointer(ByteText.isASCII)
        }

        /// Whether Foundation's canonical search could find this secret where its bytes are not:
        /// never when both it and the text are ASCII.
        func needsCanonicalSearch(textIsASCII: Bool) -> Bool { !(textIsASCII && isASCII) }
    }

    private static let maskBytes = Array(mask.utf8)

    /// Two searches, so that what either finds is replaced:
    /// - the secret's exact bytes, wherever they are (Foundation's search alone would miss
    ///   "abc" in "abc\u{301}", where the accent joins the c);
    /// - Foundation's search, which treats canonically equivalent text as equal (a decomposed
    ///   "é", or U+212A for "K"). Where both the text and the secret are ASCII it can find nothing
    ///   the first did not, and it is skipped; that is nearly always, and it is what keeps this
    ///   cheap.
    /// The secrets are read once per call above, not once per string.
    private static func redact(_ text: String, _ secrets: [Secret]) -> String {
        var out = text
        var outIsASCII = ByteText.withUTF8(out, ByteText.isASCII)
        for secret in secrets {
            if let replaced = ByteText.withUTF8(out, { secret.pattern.replacingAll(in: $0, with: maskBytes) }) {
                out = String(decoding: replaced, as: UTF8.self)
            }
            if secret.needsCanonicalSearch(textIsASCII: outIsASCII) && out.contains(secret.text) {
                out = out.replacingOccurrences(of: secret.text, with: mask)
                outIsASCII = ByteText.withUTF8(out, ByteText.isASCII)
            }
        }
        return out
    }

    private static func holdsSecret(_ text: String, _ secrets: [Secret]) -> Bool {
        ByteText.withUTF8(text) { bytes in
            let ascii = ByteText.isASCII(bytes)
            return secrets.contains { secret in
                secret.pattern.firstIndex(in: bytes) != nil || (secret.needsCanonicalSearch(textIsASCII: ascii) && text.contains(secret.text))
            }
        }
    }

    private static func holdsSecret(_ json: JSON, _ secrets: [Secret]) -> Bool {
        switch json {
        case .null, .bool, .number: false
        case .string(let s): holdsSecret(s, secrets)
        case .array(let items): items.contains { holdsSecret($0, secrets) }
        case .object(let o): o.members.contains { holdsSecret($0.key, secrets) || holdsSecret($0.value, secrets) }
        }
    }

    private static func redact(_ json: JSON, _ secrets: [Secret]) -> JSON {
        switch json {
        case .null, .bool, .number: json
        case .string(let s): .string(redact(s, secrets))
        case .array(let items): .array(items.map { redact($0, secrets) })
        case .object(let o): .object(JSONObject(o.members.map { (redact($0.key, secrets), redact($0.value, secrets)) }))
        }
    }
}
