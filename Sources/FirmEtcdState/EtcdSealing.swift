import FirmBase
import FirmModel
import FirmEncryption

/// The state's values sealed at rest when a state key is set (FIRM_STATE_KEY and its kin):
/// each app, network, infrastructure, intent and sandbox-record value is written as a
/// `SealedEnvelope` whose authenticated header binds its etcd key (`kind` is "etcd:" and the
/// first 16 hex digits of the key's SHA-256, so that the value does not repeat the app's name),
/// the sandbox, the state's lineage and the serial it was written at: a value can't be moved to
/// another key, sandbox or state. The meta key (version, lineage, serial, blueprint), the lock, the
/// sandbox index, the VLAN pool and the fleet's claims stay in clear: they hold no app's data.
///
/// A value written in clear is still read with a key set (a state from before the key: it is
/// sealed as it is written again, or all at once by `firm state encrypt`). With no key set
/// (`keys` nil) values are written in clear, as `firm state decrypt` writes them.
/// A sealed value with no key, or another key, is `StateError.encrypted`; a changed byte or a
/// moved value is `StateError.corrupt`, naming the key. Neither is ever read as empty.
struct EtcdSealing: Sendable {
    let keys: StateKeys?
    let sandbox: String
    let address: EtcdAddress

    init(keys: StateKeys?, sandbox: String, address: EtcdAddress) {
        self.keys = keys
        self.sandbox = sandbox
        self.address = address
    }

    /// Whether values are written sealed.
    var seals: Bool { keys?.canWrite ?? false }

    /// The sealer of values written in `lineage`; nil when values are written in clear.
    func sealer(lineage: String) throws -> EnvelopeSealer? {
        guard let keys, keys.canWrite else { return nil }
        return try EnvelopeSealer(sandbox: sandbox, lineage: lineage, keys: keys)
    }

    /// The bytes to write at `key`: `value` sealed by `sealer` at `serial`, or in clear.
    static func encode(_ key: String, _ value: JSON, serial: Int, sealer: EnvelopeSealer?) throws -> [UInt8] {
        guard let sealer else { return JSONWriter(pretty: false).bytes(value) }
        var out: [UInt8] = []
        try sealer.seal(kind: kind(of: key), serial: serial, appendingTo: &out) { JSONWriter(pretty: false).write(value, into: &$0, indent: 0) }
        return out
    }

    /// Counts a stored value in `form`: sealed with the key set to write with, with another, or
    /// in clear.
    func tally(_ value: [UInt8], into form: inout StoredForm) {
        form.add(sealed: SealedEnvelope.isSealed(value), withWriteKey: SealedEnvelope.isSealedWithWriteKey(value, keys: keys))
    }

    /// What an envelope's `kind` says of the key it belongs to.
    static func kind(of key: String) -> String { "etcd:" + SHA256.hex(key).prefix(16) }

    /// The plaintext of a sealed value and the lineage it was written in; nil for a value in clear.
    func open(_ kv: EtcdKV) throws(StateError) -> (plaintext: [UInt8], lineage: String)? {
        guard SealedEnvelope.isSealed(kv.value) else { return nil }
        let location = address.location(of: kv.key)
        do {
            let (envelope, plaintext) = try SealedEnvelope.open(kv.value, location: location, keys: keys)
            guard envelope.kind == Self.kind(of: kv.key), envelope.sandbox == sandbox else {
                throw StateError.corrupt(location: location, reason: "the encrypted value was written for another key (\(envelope.kind) of sandbox \(envelope.sandbox)): a value moved from elsewhere")
            }
            return (plaintext, envelope.lineage)
        } catch let error as StateError {
            throw error
        } catch let error as EncryptionError {
            switch error {
            case .missingKey, .wrongKey, .badKey: throw .encrypted(location: address.url, reason: error.description)
            default: throw .corrupt(location: location, reason: error.description)
            }
        } catch {
            throw .corrupt(location: location, reason: "\(error)")
        }
    }
}
