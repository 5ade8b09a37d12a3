import FirmBase

/// Wraps a provider so that every call to it, from actions and refreshes alike, passes its
/// gate: the provider's concurrency limit and requests-per-second bucket.
public struct LimitedProvider: L2Connectivity, L3Infrastructure {
    public let inner: any CloudProvider
    public let limits: ProviderLimits
    let gate: ProviderGate
    public var name: String { inner.name }

    public init(_ inner: any CloudProvider, limits: ProviderLimits) {
        self.inner = inner
        self.limits = limits
        self.gate = ProviderGate(limits: limits)
    }

    private func through<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        if limits.concurrency == nil && limits.requestsPerSecond == nil { return try await body() }
        try await gate.enter()
        do {
            let result = try await body()
            gate.leave()
            return result
        } catch {
            gate.leave()
            throw error
        }
    }

    public func validate() async throws { try await through { try await inner.validate() } }
    public func capabilities() async throws -> ProviderCapabilities { try await inner.capabilities() }
    public func deploy(_ request: DeployRequest) async throws -> DeployAppResult { try await through { try await inner.deploy(request) } }
    public func powerOn(_ app: DeployedApp) async throws { try await through { try await inner.powerOn(app) } }
    public func powerOff(_ app: DeployedApp) async throws { try await through { try await inner.powerOff(app) } }
    public func refreshIP(_ app: DeployedApp) async throws -> Addresses { try await through { try await inner.refreshIP(app) } }
    public func delete(_ app: DeployedApp) async throws { try await through { try await inner.delete(app) } }
    public func findByName(_ vmName: String) async throws -> Observation? { try await through { try await inner.findByName(vmName) } }
    public func findLaunched(_ slot: LaunchSlot, app: String, vmName: String) async throws -> Observation? {
        try await through { try await inner.findLaunched(slot, app: app, vmName: vmName) }
    }
    public func observe(_ apps: [DeployedApp]) async throws -> [Observation] { try await through { try await inner.observe(apps) } }
    public func inventory(sandbox: String) async throws -> [Observation] { try await through { try await inner.inventory(sandbox: sandbox) } }
    public func applyConnectivityChanges(_ changes: [VLANChange]) async throws -> [VLANResult] {
        try await through { try await inner.l2().applyConnectivityChanges(changes) }
    }
    public func prepareSandboxInfra(_ request: InfraRequest) async throws -> InfraResult {
        try await through { try await inner.l3().prepareSandboxInfra(request) }
    }
    public func cleanSandboxInfra(_ request: InfraCleanup) async throws { try await through { try await inner.l3().cleanSandboxInfra(request) } }
    public func shutdown() async { await inner.shutdown() }
    public func prefetch() { inner.prefetch() }
    public func catalog(_ query: CatalogQuery) async throws -> ProviderCatalog? { try await through { try await inner.catalog(query) } }
    public func saveApp(_ request: SaveAppRequest) async throws -> SaveAppResult { try await through { try await inner.saveApp(request) } }
    public func findSavedApp(snapshot: String, sandbox: String) async throws -> SaveAppResult? {
        try await through { try await inner.findSavedApp(snapshot: snapshot, sandbox: sandbox) }
    }
    public func deleteSavedApp(_ request: DeleteSavedAppRequest) async throws { try await through { try await inner.deleteSavedApp(request) } }
}
