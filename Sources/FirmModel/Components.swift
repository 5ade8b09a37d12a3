import FirmBase

/// What a process works with: the provider types and state backend kinds it knows, and how
/// the state is configured. The composition root (`BuiltIn`) makes it; sessions and commands
/// are handed it, so that nothing below the root names a concrete type or backend.
public struct Components: Sendable {
    public var providerTypes: ProviderTypeRegistry
    public var stateBackends: StateBackendRegistry
    public var stateOptions: StateOptions

    public init(providerTypes: ProviderTypeRegistry, stateBackends: StateBackendRegistry, stateOptions: StateOptions = StateOptions()) {
        self.providerTypes = providerTypes
        self.stateBackends = stateBackends
        self.stateOptions = stateOptions
    }

    /// Maps `--state` (or `FIRM_STATE`) to a backend: `state` as given; without it,
    /// `state/<sandbox>.state.json` in `home` (by default the current folder's home).
    public func openState(_ state: String?, sandbox: String, home: String? = nil) throws(StateError) -> any StateBackend {
        try stateBackends.kind(of: state).open(state, sandbox: sandbox, home: home, options: stateOptions)
    }
}
