/// Builds the drivers for a blueprint's providers.
public enum ProviderFactory {
    /// One driver per provider; `baseDirectory` anchors relative paths in settings.
    public static func make(_ blueprint: Blueprint, baseDirectory: String,
                            driverLog: (@Sendable (String) -> Void)? = nil) throws(ProviderError) -> [String: any CloudProvider] {
        var result: [String: any CloudProvider] = [:]
        for (name, spec) in blueprint.providers.sorted(by: { $0.key < $1.key }) {
            switch spec.type {
            case "simulated":
                result[name] = try SimulatedCloud(name: name, settings: SimulatedSettings(spec.settings), connectivity: spec.connectivity,
                                              baseDirectory: baseDirectory)
            case "process":
                result[name] = ProcessDriver(name: name, spec: spec, sandbox: blueprint.name, baseDirectory: baseDirectory, log: driverLog)
            default:
                throw ProviderError(provider: name, operation: "start", message: "unknown provider type \(quoted(spec.type))")
            }
        }
        return result
    }
}
