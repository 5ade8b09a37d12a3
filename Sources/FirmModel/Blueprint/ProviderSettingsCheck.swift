import FirmBase

/// Checks every provider's `settings`, and every app's deployment path, with the rules of the
/// provider's type.
enum ProviderSettingsCheck {
    /// Problems a type reports without a position are placed by their path in `root`.
    static func check(_ providersNode: JSONNode?, _ path: JSONPath, _ blueprint: Blueprint, _ types: ProviderTypeRegistry, root: JSONNode,
                      _ context: inout DecodingContext) {
        // The apps are checked in any order, and what is found is reported in the order of their
        // names: sorting every name of a large blueprint would cost more than the checks.
        var found: [(app: String, problems: DecodingContext)] = []
        let checking = blueprint.providers.compactMapValues { spec in types.type(named: spec.type).flatMap { $0.checksDeploymentPaths ? $0 : nil } }
        for (name, app) in blueprint.apps where !checking.isEmpty {
            guard let type = checking[app.deploymentPath.provider] else { continue }
            var own = DecodingContext(file: context.file, root: root)
            type.checkDeploymentPath(app.deploymentPath, JSONPath().key("apps").key(name).key("deploymentPath"), &own)
            if !own.diagnostics.isEmpty { found.append((name, own)) }
        }
        for (_, problems) in found.sorted(by: { $0.app < $1.app }) { context.include(problems) }
        guard let providersNode, case .object(let members) = providersNode.kind else { return }
        for member in members {
            guard let spec = blueprint.providers[member.key], case .object(let fields) = member.value.kind,
                let settings = fields.last(where: { $0.key == "settings" })?.value, let type = types.type(named: spec.type)
            else { continue }
            type.checkSettings(settings, path.key(member.key).key("settings"), apps: blueprint.apps, &context)
        }
    }
}
