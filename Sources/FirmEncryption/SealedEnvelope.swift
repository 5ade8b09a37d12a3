import Foundation
import FirmBase
import FirmOpenSSL

/// What firm writes in place of a file's content when a key is set: one JSON object,
///
///     {"firmEncrypted": 1, "cipher": "AES-256-GCM", "kind": "plan", "sandbox": "lab",
///      "lineage": "…", "serial": 7, "keyId": "…", "pbkdf2": {"salt": "…", "iterations": 600000},
///      "nonce": "…", "data": "…", "tag": "…"}
///
/// The header (everything but nonce, data and tag, written again in this order) is the
/// authenticated data: the sandbox, lineage and serial can't be changed, nor the content moved
/// under another header, without the tag failing. `pbkdf2` is there only for a passphrase's key.
/// Nonces never repeat under a key: each sealer starts at a random 12-byte nonce and counts up.
public struct SealedEnvelope: Sendable, Equatable {
    public static let formatVersion = 1
    /// The largest envelope read (a plan of 100,000 apps is well below it).
    static let maxBytes = 512 << 20

    /// What the content is ("plan"), and where it belongs.
    public var kind: String
    public var sandbox: String
    public var lineage: String
    public var serial: Int
    var keyId: String
    var salt: [UInt8]?
    var iterations: Int?
    var nonce: [UInt8]
    var data: [UInt8]
    var tag: [UInt8]

    /// Whether `bytes` look like an envelope (so that a reader never parses one as clear text).
    public static func isSealed(_ bytes: [UInt8]) -> Bool {
        let head = String(decoding: bytes.prefix(64), as: UTF8.self)
        return head.hasPrefix("{\"firmEncrypted\"")
    }

    /// Encrypts `plaintext` with the keys' write key (see EnvelopeSealer, which writes it).
    public static func seal(_ plaintext: [UInt8], kind: String, sandbox: String, lineage: String, serial: Int, keys: StateKeys) throws(EncryptionError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(plaintext.count * 4 / 3 + 400)
        try EnvelopeSealer(sandbox: sandbox, lineage: lineage, keys: keys).seal(plaintext, kind: kind, serial: serial, appendingTo: &out)
        out.append(0x0A)
        return out
    }

    /// The plaintext of the envelope in `bytes`, read from `location`: with the key whose id it
    /// names, among the primary and the fallback.
    public static func open(_ bytes: [UInt8], location: String, keys: StateKeys?) throws(EncryptionError) -> (envelope: SealedEnvelope, plaintext: [UInt8]) {
        let envelope = try parse(bytes, location: location)
        guard let keys else { throw .missingKey(location: location) }
        let candidates = try keys.readKeys(salt: envelope.salt, iterations: envelope.iterations)
        guard let key = candidates.first(where: { keys.cachedID(of: $0) == envelope.keyId }) else {
            if candidates.isEmpty { throw .missingKey(location: location) }
            throw .wrongKey(location: location, found: envelope.keyId, tried: candidates.map(keys.cachedID(of:)))
        }
        let gcm: AESGCM
        do { gcm = try AESGCM() } catch { throw .openSSL("\(error)") }
        do {
            let plaintext = try gcm.open(envelope.data, key: key, nonce: envelope.nonce, aad: JSONWriter(pretty: false).bytes(envelope.header), tag: envelope.tag)
            return (envelope, plaintext)
        } catch {
            if case .openSSL(let why) = error { throw .openSSL("\(why)") }
            throw .tampered(location: location)
        }
    }

    /// Whether sealed `bytes` were sealed with the key `keys` write with: false for another
    /// key's (the fallback's while rotating), for no key set, and for an envelope that can't
    /// be read (which reading the state reports).
    public static func isSealedWithWriteKey(_ bytes: [UInt8], keys: StateKeys?) -> Bool {
        guard let keys, let envelope = try? parse(bytes, location: "") else { return false }
        return (try? keys.isWriteKey(id: envelope.keyId, salt: envelope.salt, iterations: envelope.iterations)) ?? false
    }

    /// The authenticated header.
    var header: JSON {
        var members: [(String, JSON)] = [("firmEncrypted", .int(Self.formatVersion)), ("cipher", .string("AES-256-GCM")), ("kind", .string(kind)),
                                         ("sandbox", .string(sandbox)), ("lineage", .string(lineage)), ("serial", .int(serial)), ("keyId", .string(keyId))]
        if let salt, let iterations {
            members.append(("pbkdf2", .object(JSONObject([("salt", .string(Data(salt).base64EncodedString())), ("iterations", .int(iterations))]))))
        }
        return .object(JSONObject(members))
    }

    static func parse(_ bytes: [UInt8], location: String) throws(EncryptionError) -> SealedEnvelope {
        func bad(_ reason: String) -> EncryptionError { .malformed(location: location, reason: reason) }
        guard bytes.count <= maxBytes else { throw bad("\(bytes.count) bytes, more than firm reads") }
        let json: JSON
        do { json = try JSONReader.parse(bytes, maxDepth: 4).plain } catch { throw bad("\(error.position): \(error.message)") }
        guard let version = json["firmEncrypted"]?.intValue else { throw bad("no firmEncrypted version") }
        guard version == formatVersion else { throw bad("format \(version), newer than this firm reads (\(formatVersion))") }
        guard json["cipher"]?.stringValue == "AES-256-GCM" else { throw bad("the cipher is not AES-256-GCM") }
        func text(_ name: String) throws(EncryptionError) -> String {
            guard let value = json[name]?.stringValue else { throw bad("no \(name)") }
            return value
        }
        func base64(_ name: String, count: Int? = nil) throws(EncryptionError) -> [UInt8] {
            guard let data = Data(base64Encoded: try text(name)), count.map({ data.count == $0 }) ?? true else { throw bad("\(name) is not valid base64\(count.map { " of \($0) bytes" } ?? "")") }
            return [UInt8](data)
        }
        guard let serial = json["serial"]?.intValue, serial >= 0 else { throw bad("no serial") }
        var envelope = SealedEnvelope(kind: try text("kind"), sandbox: try text("sandbox"), lineage: try text("lineage"), serial: serial,
                                      keyId: try text("keyId"), salt: nil, iterations: nil, nonce: try base64("nonce", count: AESGCM.nonceSize),
                                      data: try base64("data"), tag: try base64("tag", count: AESGCM.tagSize))
        if let pbkdf2 = json["pbkdf2"] {
            guard let salt = pbkdf2["salt"]?.stringValue.flatMap({ Data(base64Encoded: $0) }), (8...64).contains(salt.count),
                  let iterations = pbkdf2["iterations"]?.intValue, (1_000...StateKeys.maxIterations).contains(iterations) else {
                throw bad("pbkdf2 needs a salt of 8 to 64 bytes and 1,000 to \(StateKeys.maxIterations) iterations")
            }
            envelope.salt = [UInt8](salt)
            envelope.iterations = iterations
        }
        return envelope
    }
}
