import FirmBase

extension Environment {
    /// Attribute values with `{"env": NAME}` read from the environment; `needs` names what
    /// needs a missing one, for the message. A `{"snapshot": NAME}` must have been replaced
    /// first (`SnapshotRecord.restoring`): one left is refused.
    public func resolve(_ attributes: [String: AttributeValue], needs: (String) -> String) throws -> [String: String] {
        var out: [String: String] = [:]
        for (key, value) in attributes {
            switch value {
            case .literal(let s): out[key] = s
            case .env(let name):
                guard let s = self[name] else { throw EnvironmentError(name: name, neededBy: needs(key)) }
                out[key] = s
            case .snapshot(let name):
                throw SnapshotError.unresolved(snapshot: name, neededBy: needs(key))
            }
        }
        return out
    }
}
