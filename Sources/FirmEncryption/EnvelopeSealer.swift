import FirmBase
import FirmOpenSSL

/// Seals items of one sandbox and lineage in a row (a journal's records, an etcd state's
/// values) into `SealedEnvelope`s: the write key set up once in one cipher context, the header
/// written from a template (only the kind and serial change), base64 written straight into the
/// caller's buffer, and each nonce the one before plus one, from a random start. The bytes are
/// an envelope as `SealedEnvelope.parse` reads it, with the same authenticated header.
///
/// Why a counter: GCM needs a nonce that never repeats under one key. 96 random bits for the
/// first, then counting up, repeats no more often than a random nonce each time (two
/// processes' runs of n nonces overlap with odds of about n·m / 2⁹⁶), and costs no call to
/// the random generator per record.
///
/// One owner uses it at a time (a journal's serial queue): it is not Sendable.
public final class EnvelopeSealer {
    private let gcm: AESGCMSealer
    /// The authenticated header, around its kind and its serial: `{…"kind":` + kind + `,…"serial":` + serial + `,"keyId":…}`.
    private let beforeKind: [UInt8], beforeSerial: [UInt8], afterSerial: [UInt8]
    private var nonce: [UInt8]
    private var kindJSON: (kind: String, bytes: [UInt8]) = ("", [])
    private var clear: [UInt8] = [], aad: [UInt8] = [], sealed: [UInt8] = []

    /// A sealer with the keys' write key (and, for a passphrase, its salt).
    public init(sandbox: String, lineage: String, keys: StateKeys) throws(EncryptionError) {
        let (key, salt) = try keys.writeKey()
        let template = SealedEnvelope(kind: "", sandbox: sandbox, lineage: lineage, serial: 0, keyId: keys.cachedID(of: key), salt: salt,
                                      iterations: salt == nil ? nil : StateKeys.iterations, nonce: [], data: [], tag: [])
        let header = JSONWriter(pretty: false).bytes(template.header)
        let kindMark = Array(#""kind":"""#.utf8), serialMark = Array(#""serial":0"#.utf8)
        guard let kindAt = Self.find(kindMark, in: header), let serialAt = Self.find(serialMark, in: header), kindAt < serialAt, header.last == UInt8(ascii: "}") else {
            throw .openSSL("the envelope's header template has no kind and serial (a bug in firm)")
        }
        beforeKind = Array(header[..<(kindAt + kindMark.count - 2)])
        beforeSerial = Array(header[(kindAt + kindMark.count)..<(serialAt + serialMark.count - 1)])
        afterSerial = Array(header[(serialAt + serialMark.count)...])
        do {
            nonce = try KeyDerivation.randomBytes(AESGCM.nonceSize)
            gcm = try AESGCMSealer(key: key)
        } catch { throw .openSSL("\(error)") }
    }

    /// Appends the envelope of the bytes `write` appends, sealed as `kind` at `serial`, to
    /// `out` (no newline after it).
    public func seal(kind: String, serial: Int, appendingTo out: inout [UInt8], _ write: (inout [UInt8]) -> Void) throws(EncryptionError) {
        clear.removeAll(keepingCapacity: true)
        write(&clear)
        try seal(clear, kind: kind, serial: serial, appendingTo: &out)
    }

    /// Appends the envelope of `plaintext`, sealed as `kind` at `serial`, to `out` (no newline).
    public func seal(_ plaintext: [UInt8], kind: String, serial: Int, appendingTo out: inout [UInt8]) throws(EncryptionError) {
        if kindJSON.kind != kind || kindJSON.bytes.isEmpty { kindJSON = (kind, JSONWriter(pretty: false).bytes(.string(kind))) }
        aad.removeAll(keepingCapacity: true)
        aad.append(contentsOf: beforeKind)
        aad.append(contentsOf: kindJSON.bytes)
        aad.append(contentsOf: beforeSerial)
        aad.append(contentsOf: String(serial).utf8)
        aad.append(contentsOf: afterSerial)
        sealed.removeAll(keepingCapacity: true)
        do { try gcm.seal(plaintext, nonce: nonce, aad: aad, appendingTo: &sealed) } catch { throw .openSSL("\(error)") }
        // The header without its closing brace, then the nonce, the ciphertext and the tag.
        out.append(contentsOf: aad[..<(aad.count - 1)])
        out.append(contentsOf: #","nonce":""#.utf8)
        Base64Append.append(nonce, to: &out)
        out.append(contentsOf: #"","data":""#.utf8)
        let tagStart = sealed.count - AESGCM.tagSize
        Base64Append.append(sealed, 0..<tagStart, to: &out)
        out.append(contentsOf: #"","tag":""#.utf8)
        Base64Append.append(sealed, tagStart..<sealed.count, to: &out)
        out.append(contentsOf: #""}"#.utf8)
        // The next nonce: this one plus one, as a 96-bit big-endian number.
        var i = nonce.count - 1
        while i >= 0 {
            nonce[i] &+= 1
            if nonce[i] != 0 { break }
            i -= 1
        }
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        return (0...(haystack.count - needle.count)).first { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
    }
}
