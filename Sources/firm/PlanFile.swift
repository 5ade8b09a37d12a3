import Firmament
import FirmBase
import FirmModel
import FirmPlanning
import FirmExecution
import FirmSession
import FirmDrift


/// Saved plan files.
enum PlanFile {
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
        let bytes: [UInt8]
        do {
            bytes = try FileIO.readRegular(path, limit: 256 << 20)
        } catch .missing {
            return Read()
        } catch {
            throw BlueprintError.unreadable(file: path, reason: error.description)
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
        else { return Read(other: parsed) }
        parsed = parsed.whole
        return Read(plan: try Plan.decode(parsed.root, file: path))
    }
}
