import FirmBase

extension Blueprint {
    /// The values of every `{"env": NAME}` in the blueprint (app attributes, deployment-path
    /// attributes and provider settings) that is set in `environment`.
    public func secretValues(_ environment: Environment) -> [String] {
        var names: Set<String> = []
        // Both maps are walked in place: no array is made per app.
        for app in apps.values {
            for case .env(let name) in app.attributes.values { names.insert(name) }
            for case .env(let name) in app.deploymentPath.attributes.values { names.insert(name) }
        }
        for provider in providers.values { Self.envNames(in: provider.settings, into: &names) }
        return names.sorted().compactMap { environment[$0] }
    }

    private static func envNames(in json: JSON, into names: inout Set<String>) {
        switch json {
        case .object(let o):
            if o.keys == ["env"], let name = o["env"]?.stringValue { names.insert(name); return }
            for key in o.keys { envNames(in: o[key]!, into: &names) }
        case .array(let items): for item in items { envNames(in: item, into: &names) }
        default: break
        }
    }
}
