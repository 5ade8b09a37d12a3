import FirmBase
import FirmModel
import FirmEncryption

/// The local state sealed at rest when a state key is set (FIRM_STATE_KEY and its kin): the
/// snapshot is one `SealedEnvelope` (kind "snapshot"), and each journal record after the clear
/// header line is one (kind "record"), so that an action still appends O(1) bytes. Each
/// envelope's authenticated header binds the blueprint's name, the lineage and the serial: a
/// record can't be moved to another journal, nor swapped with another record, nor a snapshot
/// replaced by another state's, without its tag failing or its header disagreeing.
///
/// A state written in clear is still read with a key set, and what is written next is sealed;
/// `firm state encrypt` and `decrypt` rewrite it all at once. A sealed state with no key, or another key, is
/// `StateError.encrypted`; a changed byte or a moved record is `StateError.corrupt`, naming the
/// file. Neither is ever read as empty.
public struct LocalSealing: Sendable {
    let keys: StateKeys?

    public init(keys: StateKeys?) { self.keys = keys }

    /// The keys of the process's environment; a setting that can't be used throws.
    public static func fromEnvironment(location: String) throws(StateError) -> LocalSealing {
        do { return LocalSealing(keys: try StateKeys.from(.process)) } catch { throw .unavailable(location: location, reason: "\(error)") }
    }

    /// Whether what is written is sealed.
    var seals: Bool { keys?.canWrite ?? false }

    /// Counts `bytes` (a snapshot, or a journal record's body) in `form`: sealed with the key
    /// set to write with, with another, or in clear.
    func tally(_ bytes: [UInt8], into form: inout StoredForm) {
        form.add(sealed: SealedEnvelope.isSealed(bytes), withWriteKey: SealedEnvelope.isSealedWithWriteKey(bytes, keys: keys))
    }

    /// The sealer of a journal's records, for `blueprint`'s state of `lineage`; nil when
    /// nothing is sealed.
    func recordSealer(blueprint: String, lineage: String) throws(StateError) -> EnvelopeSealer? {
        guard let keys, keys.canWrite else { return nil }
        do { return try EnvelopeSealer(sandbox: blueprint, lineage: lineage, keys: keys) } catch {
            throw .io(location: "journal", reason: "cannot encrypt: \(error)")
        }
    }

    func seal(_ clear: [UInt8], kind: String, blueprint: String, lineage: String, serial: Int) throws(StateError) -> [UInt8] {
        guard let keys, keys.canWrite else { return clear }
        do { return try SealedEnvelope.seal(clear, kind: kind, sandbox: blueprint, lineage: lineage, serial: serial, keys: keys) } catch {
            throw .io(location: kind, reason: "cannot encrypt: \(error)")
        }
    }

    /// The plaintext of sealed `bytes` from `file`, checked to be of `kind`; nil when in clear.
    func open(_ bytes: [UInt8], file: String, kind: String) throws(StateError) -> (envelope: SealedEnvelope, plaintext: [UInt8])? {
        guard SealedEnvelope.isSealed(bytes) else { return nil }
        do {
            let opened = try SealedEnvelope.open(bytes, location: file, keys: keys)
            guard opened.envelope.kind == kind else {
                throw StateError.corrupt(location: file, reason: "an encrypted \(opened.envelope.kind) where a \(kind) belongs")
            }
            return opened
        } catch let error as StateError {
            throw error
        } catch let error as EncryptionError {
            switch error {
            case .missingKey, .wrongKey, .badKey: throw .encrypted(location: file, reason: error.description)
            default: throw .corrupt(location: file, reason: error.description)
            }
        } catch {
            throw .corrupt(location: file, reason: "\(error)")
        }
    }
}
