import Firmament
import FirmBase
import FirmEncryption
import FirmModel
import FirmPlanning
import FirmExecution
import FirmSession
import FirmDrift


/// Saved plan files: clear JSON, or, with a key set (FIRM_STATE_KEY and its kin), a
/// `SealedEnvelope` whose header binds the plan to its sandbox, lineage and serial.
enum PlanFile {
    /// The keys of the environment, resolved once (a key command runs once).
    static let keys: Result<StateKeys?, EncryptionError> = Result { () throws(EncryptionError) in try StateKeys.from(.process) }

    /// The bytes to save for `plan`: sealed when a key is set.
    static func bytes(_ plan: Plan) throws -> [UInt8] {
        let clear = plan.prettyBytes()
        guard let keys = try keys.get(), keys.canWrite else { return clear }
        return try SealedEnvelope.seal(clear, kind: "plan", sandbox: plan.location?.sandbox ?? plan.blueprintName, lineage: plan.lineage,
                                       serial: plan.serial, keys: keys)
    }

    /// What a command's file argument turned out to be.
    struct Read {
        /// The plan, when the file is a saved plan.
        var plan: Plan?
        /// The file as read and parsed, when it is JSON but not a plan: a blueprint, most
        /// likely, which need not be read again.
        var other: ParsedFile?
    }

    /// The plan in `path`, when the file is a plan rather than a blueprint. A file that can't be
    /// read whole (a FIFO, a device, a huge file) is refused here, naming what it is.
    static func readIfPlan(_ path: String) throws -> Plan? { try read(path).plan }

    /// Reads `path` once: a saved plan, decoded and checked, or else what was parsed, if anything.
    static func read(_ path: String) throws -> Read {
        var bytes: [UInt8]
        do {
            bytes = try FileIO.readRegular(path, limit: 256 << 20)
        } catch .missing {
            return Read()
        } catch {
            throw BlueprintError.unreadable(file: path, reason: error.description)
        }
        var envelope: SealedEnvelope?
        if SealedEnvelope.isSealed(bytes) {
            (envelope, bytes) = try SealedEnvelope.open(bytes, location: path, keys: try keys.get())
        }
        var parsed: ParsedFile
        do {
            parsed = try ParsedFile.parse(path: path, bytes: bytes)
        } catch {
            // Not JSON: a damaged plan when it starts like one, else a blueprint's own error.
            guard String(decoding: bytes.prefix(64), as: UTF8.self).contains("\"formatVersion\"") else { return Read() }
            throw PlanError.invalid([Diagnostic(file: path, position: error.position, path: "",
                                                message: "the plan file is damaged or truncated: \(error.message)")])
        }
        guard case .object(let members) = parsed.root.kind, members.contains(where: { $0.key == "actions" }),
            members.contains(where: { $0.key == "formatVersion" })
        else {
            if envelope != nil { throw EncryptionError.malformed(location: path, reason: "the encrypted content is not a plan") }
            return Read(other: parsed)
        }
        parsed = parsed.whole
        let plan = try Plan.decode(parsed.root, file: path)
        if let envelope {
            let sandbox = plan.location?.sandbox ?? plan.blueprintName
            guard envelope.kind == "plan", envelope.sandbox == sandbox, envelope.lineage == plan.lineage, envelope.serial == plan.serial else {
                throw EncryptionError.moved(location: path, reason: "its header names \(envelope.kind) of sandbox \(envelope.sandbox), lineage \(envelope.lineage), serial \(envelope.serial)")
            }
        }
        return Read(plan: plan)
    }
}
