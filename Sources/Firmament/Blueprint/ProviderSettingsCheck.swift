/// The provider types Firmament knows, and the check of each one's settings.
public enum ProviderTypes {
    public static let known = ["simulated", "process"]
}

/// Checks every provider's `settings` with the rules of its type.
enum ProviderSettingsCheck {
    static func check(_ providersNode: JSONNode?, _ path: JSONPath, _ blueprint: Blueprint, _ context: inout DecodingContext) {
        guard let providersNode, case .object(let members) = providersNode.kind else { return }
        let apps = Set(blueprint.apps.keys)
        for member in members {
            guard let spec = blueprint.providers[member.key], case .object(let fields) = member.value.kind,
                let settings = fields.last(where: { $0.key == "settings" })?.value
            else { continue }
            let here = path.key(member.key).key("settings")
            switch spec.type {
            case "simulated": _ = SimulatedSettings.decode(settings, here, apps: apps, &context)
            case "process": ProcessProviderDecoder.checkSettings(settings, here, &context)
            default: break
            }
        }
    }
}
