import Foundation
import Testing
@testable import FirmBase
@testable import FirmOpenSSL
@testable import FirmEncryption

/// The keys from the environment and the sealed envelope of saved plans: a round trip with
/// each key source, and each refusal with its own error (a missing key, a wrong key, a changed
/// byte, a changed header, a damaged envelope, keys that can't be used); rotation through the
/// fallback key.
@Suite("Encryption at rest")
struct EncryptionTests {
    static func environment(_ values: [String: String]) -> Environment { Environment { values[$0] } }
    static let key = Data((0..<32).map { UInt8($0) }).base64EncodedString()
    static let otherKey = Data((0..<32).map { UInt8(255 - $0) }).base64EncodedString()
    static let plaintext = Array(#"{"formatVersion":2,"apps":{"secret-web":{"address":"10.1.2.3"}}}"#.utf8)

    static func keys(_ values: [String: String]) throws -> StateKeys {
        try #require(try StateKeys.from(environment(values)))
    }

    /// `bytes`, an envelope, with `change` made to its members.
    static func edit(_ bytes: [UInt8], _ change: (inout JSONObject) -> Void) throws -> [UInt8] {
        guard case .object(var object) = try JSONReader.parse(bytes).plain else { throw EncryptionError.malformed(location: "test", reason: "not an object") }
        change(&object)
        return JSONWriter(pretty: false).bytes(.object(object))
    }

    static func seal(_ keys: StateKeys, serial: Int = 7) throws -> [UInt8] {
        try SealedEnvelope.seal(plaintext, kind: "plan", sandbox: "lab", lineage: "L1", serial: serial, keys: keys)
    }

    @Test("a sealer's envelopes, record after record, each open with its own kind and serial, under nonces that never repeat; a passphrase's too")
    func sealerInARow() throws {
        for values in [["FIRM_STATE_KEY": Self.key], ["FIRM_STATE_PASSPHRASE": "correct horse battery staple"]] {
            let keys = try Self.keys(values)
            let sealer = try EnvelopeSealer(sandbox: "lab", lineage: "L1", keys: keys)
            var nonces: Set<String> = []
            for serial in [0, 1, 9, 10, 12345, 99_999_999] {
                let kind = serial % 2 == 0 ? "record" : "etcd:0123456789abcdef"
                var out: [UInt8] = Array("prefix ".utf8)
                try sealer.seal(kind: kind, serial: serial, appendingTo: &out) { $0.append(contentsOf: Self.plaintext + Array(String(serial).utf8)) }
                let envelope = Array(out.dropFirst(7))
                #expect(SealedEnvelope.isSealed(envelope) && SealedEnvelope.isSealedWithWriteKey(envelope, keys: keys))
                let opened = try SealedEnvelope.open(envelope, location: "journal", keys: keys)
                #expect(opened.plaintext == Self.plaintext + Array(String(serial).utf8))
                #expect(opened.envelope.kind == kind && opened.envelope.serial == serial && opened.envelope.sandbox == "lab" && opened.envelope.lineage == "L1")
                nonces.insert(Hex.lower(opened.envelope.nonce))
                // The header is what authenticates it: another serial in it fails.
                let moved = try Self.edit(envelope) { $0["serial"] = .int(serial + 1) }
                #expect(throws: EncryptionError.tampered(location: "journal")) { try SealedEnvelope.open(moved, location: "journal", keys: keys) }
            }
            #expect(nonces.count == 6, "a new nonce for every record")
        }
    }

    @Test("a key, a passphrase (PBKDF2 with its salt stored) and a key command each seal and open; nothing of the content or key is in clear")
    func roundTrips() throws {
        for values in [["FIRM_STATE_KEY": Self.key], ["FIRM_STATE_PASSPHRASE": "correct horse battery staple"], ["FIRM_STATE_KEY_COMMAND": "printf '%s' \(Self.key)"]] {
            let keys = try Self.keys(values)
            let sealed = try Self.seal(keys)
            let text = String(decoding: sealed, as: UTF8.self)
            #expect(!text.contains("secret-web") && !text.contains("10.1.2.3") && !text.contains(Self.key), "\(values.keys): \(text)")
            #expect(text.contains("\"sandbox\":\"lab\"") && text.hasSuffix("\n"))
            let opened = try SealedEnvelope.open(sealed, location: "p.plan", keys: Self.keys(values))
            #expect(opened.plaintext == Self.plaintext && opened.envelope.serial == 7 && opened.envelope.lineage == "L1")
            #expect(text.contains("\"pbkdf2\"") == (values["FIRM_STATE_PASSPHRASE"] != nil))
        }
        let commandKeys = try Self.keys(["FIRM_STATE_KEY_COMMAND": "echo \(Self.key)"]).readKeys(salt: nil, iterations: nil)
        #expect(commandKeys == [try StateKeys.decodeKey(Self.key, variable: "x")], "the command's output is the key")
        #expect(try Self.seal(Self.keys(["FIRM_STATE_KEY": Self.key])) != (try Self.seal(Self.keys(["FIRM_STATE_KEY": Self.key]))), "a fresh nonce each time")
    }

    @Test("a missing key, a wrong key, a changed byte and a changed header each get their own error")
    func refusals() throws {
        let keys = try Self.keys(["FIRM_STATE_KEY": Self.key])
        let sealed = try Self.seal(keys)
        #expect(throws: EncryptionError.missingKey(location: "p.plan")) { try SealedEnvelope.open(sealed, location: "p.plan", keys: nil) }
        let wrong = try Self.keys(["FIRM_STATE_KEY": Self.otherKey])
        #expect {
            try SealedEnvelope.open(sealed, location: "p.plan", keys: wrong)
        } throws: { error in
            guard case EncryptionError.wrongKey(let location, _, _) = error else { return false }
            return location == "p.plan" && "\(error)".contains("FIRM_STATE_KEY_FALLBACK")
        }
        // A flipped bit in the ciphertext.
        let flipped = try Self.edit(sealed) { object in
            var data = [UInt8](Data(base64Encoded: object["data"]?.stringValue ?? "") ?? Data())
            data[3] ^= 0x01
            object["data"] = .string(Data(data).base64EncodedString())
        }
        #expect(throws: EncryptionError.tampered(location: "p.plan")) { try SealedEnvelope.open(flipped, location: "p.plan", keys: keys) }
        // The header moved to another serial (a replay elsewhere): the tag binds it.
        let moved = try Self.edit(sealed) { $0["serial"] = .int(8) }
        #expect(throws: EncryptionError.tampered(location: "p.plan")) { try SealedEnvelope.open(moved, location: "p.plan", keys: keys) }
        // Another envelope's content under this header.
        let other = try JSONReader.parse(try Self.seal(keys, serial: 9)).plain
        let swapped = try Self.edit(sealed) { object in
            for name in ["nonce", "data", "tag"] { object[name] = other[name] }
        }
        #expect(throws: EncryptionError.tampered(location: "p.plan")) { try SealedEnvelope.open(swapped, location: "p.plan", keys: keys) }
        let badNonce = String(decoding: try Self.edit(sealed) { $0["nonce"] = .string("AAAA") }, as: UTF8.self)
        for damaged in ["{\"firmEncrypted\":1}", "{\"firmEncrypted\":2}", "{\"firmEncrypted\":1,\"cipher\":\"AES-256-GCM\"", badNonce] {
            #expect {
                try SealedEnvelope.open(Array(damaged.utf8), location: "p.plan", keys: keys)
            } throws: { error in
                if case EncryptionError.malformed(let location, _) = error { return location == "p.plan" }
                return false
            }
        }
    }

    @Test("rotation: the fallback key opens what the old key wrote, and the next seal uses the new key")
    func rotation() throws {
        let old = try Self.seal(try Self.keys(["FIRM_STATE_KEY": Self.key]))
        let rotating = try Self.keys(["FIRM_STATE_KEY": Self.otherKey, "FIRM_STATE_KEY_FALLBACK": Self.key])
        #expect(try SealedEnvelope.open(old, location: "p.plan", keys: rotating).plaintext == Self.plaintext)
        let new = try Self.seal(rotating)
        #expect(throws: EncryptionError.self) { try SealedEnvelope.open(new, location: "p.plan", keys: Self.keys(["FIRM_STATE_KEY": Self.key])) }
        #expect(try SealedEnvelope.open(new, location: "p.plan", keys: Self.keys(["FIRM_STATE_KEY": Self.otherKey])).plaintext == Self.plaintext)
        let readOnly = try Self.keys(["FIRM_STATE_KEY_FALLBACK": Self.key])
        #expect(!readOnly.canWrite)
        #expect(throws: EncryptionError.self) { try Self.seal(readOnly) }
    }

    @Test("key settings that can't be used are refused, naming the variable and never showing the value")
    func badKeys() throws {
        let cases: [([String: String], String)] = [
            (["FIRM_STATE_KEY": "not base64!"], "FIRM_STATE_KEY: not base64"),
            (["FIRM_STATE_KEY": Data([1, 2, 3]).base64EncodedString()], "FIRM_STATE_KEY: 3 bytes once decoded, not 32"),
            (["FIRM_STATE_PASSPHRASE": "short"], "at least 12 characters"),
            (["FIRM_STATE_KEY": Self.key, "FIRM_STATE_PASSPHRASE": "correct horse battery"], "set one of them"),
            (["FIRM_STATE_KEY_COMMAND": "exit 3"], "FIRM_STATE_KEY_COMMAND: the command exited 3"),
            (["FIRM_STATE_KEY_COMMAND": "echo 'not a key!'"], "FIRM_STATE_KEY_COMMAND's output: not base64"),
            (["FIRM_STATE_KEY_FALLBACK": "AAAA"], "FIRM_STATE_KEY_FALLBACK: 3 bytes"),
        ]
        for (values, expected) in cases {
            #expect {
                _ = try StateKeys.from(Self.environment(values))
            } throws: { error in
                "\(error)".contains(expected) && !"\(error)".contains(Self.key)
            }
        }
        #expect(try StateKeys.from(Self.environment([:])) == nil)
    }
}
