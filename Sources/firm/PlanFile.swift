import Firmament

/// Saved plan files.
enum PlanFile {
    /// The plan in `path`, when the file is a plan rather than a blueprint. A file that can't be
    /// read whole (a FIFO, a device, a huge file) is refused here, naming what it is.
    static func readIfPlan(_ path: String) throws -> Plan? {
        let bytes: [UInt8]
        do {
            bytes = try FileIO.readRegular(path, limit: 256 << 20)
        } catch .missing {
            return nil
        } catch {
            throw BlueprintError.unreadable(file: path, reason: error.description)
        }
        let node: JSONNode
        do {
            node = try JSONReader.parse(bytes)
        } catch {
            // Not JSON: a damaged plan when it starts like one, else a blueprint's own error.
            guard String(decoding: bytes.prefix(64), as: UTF8.self).contains("\"formatVersion\"") else { return nil }
            throw PlanError.invalid([Diagnostic(file: path, position: error.position, path: "",
                                                message: "the plan file is damaged or truncated: \(error.message)")])
        }
        guard case .object(let members) = node.kind, members.contains(where: { $0.key == "actions" }),
            members.contains(where: { $0.key == "formatVersion" })
        else { return nil }
        return try Plan.decode(node, file: path)
    }
}
