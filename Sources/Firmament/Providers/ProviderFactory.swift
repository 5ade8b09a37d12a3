/// Builds the drivers for a blueprint's providers.
public enum ProviderFactory {
    /// One driver per provider; `baseDirectory` anchors relative paths in settings.
    /// Every driver is wrapped in a CheckedProvider, which checks and redacts (with `secrets`)
    /// whatever it returns.
    public static func make(_ blueprint: Blueprint, baseDirectory: String, secrets: Secrets = Secrets(),
                            driverLog: (@Sendable (String) -> Void)? = nil) throws(ProviderError) -> [String: any CloudProvider] {
        var result: [String: any CloudProvider] = [:]
        for (name, spec) in blueprint.providers.sorted(by: { $0.key < $1.key }) {
            switch spec.type {
            case "simulated":
                result[name] = try SimulatedCloud(name: name, settings: SimulatedSettings(spec.settings), connectivity: spec.connectivity,
                                              baseDirectory: baseDirectory)
            case "process":
                result[name] = ProcessDriver(name: name, spec: spec, sandbox: blueprint.name, baseDirectory: baseDirectory,
                                             log: driverLog.map { log in { @Sendable line in log(secrets.redact(line)) } })
            default:
                throw ProviderError(provider: name, operation: "start", message: "unknown provider type \(quoted(spec.type))")
            }
        }
        return result.mapValues { CheckedProvider($0, secrets: secrets) }
    }
}
