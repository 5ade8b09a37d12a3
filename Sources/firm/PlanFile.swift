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
        guard let node = try? JSONReader.parse(bytes), case .object(let members) = node.kind,
            members.contains(where: { $0.key == "actions" }), members.contains(where: { $0.key == "formatVersion" })
        else { return nil }
        return try Plan.decode(node, file: path)
    }
}
