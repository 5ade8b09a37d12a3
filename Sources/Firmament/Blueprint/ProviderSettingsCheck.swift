/// Checks every provider's `settings`, and every app's deployment path, with the rules of the
/// provider's type.
enum ProviderSettingsCheck {
    static func check(_ providersNode: JSONNode?, _ path: JSONPath, _ blueprint: Blueprint, _ context: inout DecodingContext) {
        for name in blueprint.apps.keys.sorted() {
            let deployment = blueprint.apps[name]!.deploymentPath
            guard let spec = blueprint.providers[deployment.provider], let type = ProviderTypeRegistry.type(named: spec.type) else { continue }
            type.checkDeploymentPath(deployment, JSONPath("apps").key(name).key("deploymentPath"), &context)
        }
        guard let providersNode, case .object(let members) = providersNode.kind else { return }
        let apps = Set(blueprint.apps.keys)
        for member in members {
            guard let spec = blueprint.providers[member.key], case .object(let fields) = member.value.kind,
                let settings = fields.last(where: { $0.key == "settings" })?.value, let type = ProviderTypeRegistry.type(named: spec.type)
            else { continue }
            type.checkSettings(settings, path.key(member.key).key("settings"), apps: apps, &context)
        }
    }
}
