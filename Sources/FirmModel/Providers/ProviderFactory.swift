import FirmBase

/// Builds the drivers for a blueprint's providers, each through its type in the registry.
public enum ProviderFactory {
    /// One driver per provider; `baseDirectory` anchors relative paths in settings. Every
    /// driver is wrapped in a CheckedProvider, which checks and redacts (with `secrets`)
    /// whatever it returns, and then in a LimitedProvider, which keeps the provider's
    /// concurrency and requests-per-second limits.
    public static func make(_ blueprint: Blueprint, types: ProviderTypeRegistry, sandbox: String? = nil, baseDirectory: String, secrets: Secrets = Secrets(), environment: Environment = .process,
                            driverLog: (@Sendable (String) -> Void)? = nil) throws(ProviderError) -> [String: any CloudProvider] {
        var result: [String: any CloudProvider] = [:]
        for (name, spec) in blueprint.providers.sorted(by: { $0.key < $1.key }) {
            guard let type = types.type(named: spec.type) else {
                throw ProviderError(provider: name, operation: "start", message: "unknown provider type \(quoted(spec.type))")
            }
            let log = driverLog.map { log in { @Sendable (line: String) in log(secrets.redact(line)) } }
            let context = ProviderContext(name: name, spec: spec, sandbox: sandbox ?? blueprint.name, baseDirectory: baseDirectory, driverLog: log,
                                          environment: environment)
            let checked = CheckedProvider(try type.make(context), secrets: secrets, sandbox: context.sandbox)
            result[name] = LimitedProvider(checked, limits: spec.limits.over(type.defaultLimits))
        }
        return result
    }
}
