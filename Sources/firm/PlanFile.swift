import Firmament

/// Saved plan files.
enum PlanFile {
    /// The plan in `path`, when the file is a plan rather than a blueprint.
    static func readIfPlan(_ path: String) throws -> Plan? {
        guard let bytes = try FileIO.read(path), let node = try? JSONReader.parse(bytes),
            case .object(let members) = node.kind, members.contains(where: { $0.key == "actions" }),
            members.contains(where: { $0.key == "formatVersion" })
        else { return nil }
        return try Plan.decode(node, file: path)
    }
}
