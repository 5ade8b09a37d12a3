import FirmBase
import FirmModel

extension Session {
    /// The providers a plan need not start, each with the `{"env"}` variables its settings need
    /// and that are not set: the state records nothing on them (no app, no infrastructure, no
    /// call in flight), so nothing there is to be refreshed or recovered. A plan notes them and
    /// does not ask them anything; an apply starts them, and refuses, naming the variable, before
    /// anything is written.
    public func unstartable(_ state: State, environment: Environment = .process) -> [String: [String]] {
        var used = Set(state.apps.values.map(\.provider))
        used.formUnion(state.infra.keys)
        used.formUnion(state.intents.values.map(\.provider))
        var result: [String: [String]] = [:]
        for (name, spec) in blueprint.providers where !used.contains(name) {
            let missing = (spec.settings.objectValue?.members ?? []).compactMap { _, value in
                value["env"]?.stringValue.flatMap { environment[$0] == nil ? $0 : nil }
            }
            if !missing.isEmpty { result[name] = missing.sorted() }
        }
        return result
    }

    /// What a plan says of the providers it did not start.
    public static func unstartedNotes(_ unstartable: [String: [String]]) -> [String] {
        unstartable.keys.sorted().map { name in
            let missing = unstartable[name]!
            return "provider.\(name) was not asked anything: its settings need \(missing.joined(separator: ", ")), which "
                + (missing.count == 1 ? "is" : "are") + " not set; apply will need " + (missing.count == 1 ? "it" : "them")
        }
    }
}
