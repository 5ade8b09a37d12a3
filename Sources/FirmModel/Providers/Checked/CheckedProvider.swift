import FirmBase

/// Wraps every provider: what a driver returns is checked and redacted here, in one place,
/// before anything else sees it. Addresses must be IPv4, IPv6 or empty; names and ids must be
/// short and free of control characters; nested data must fit the state's depth limit; and
/// every known secret (environment values, createKeys keys) is replaced by `Secrets.mask` in
/// results and in error messages. A bad answer fails the call, naming the provider.
/// Ownership is never taken on trust from a server-side filter: a VM that the inventory or a
/// search by name returns is this sandbox's only when its own tag says so.
public struct CheckedProvider: L2Connectivity, L3Infrastructure {
    public let inner: any CloudProvider
    public let secrets: Secrets
    /// The sandbox the provider serves.
    public let sandbox: String
    public var name: String { inner.name }
    public var limits: ProviderLimits { inner.limits }

    public init(_ inner: any CloudProvider, secrets: Secrets, sandbox: String) {
        self.inner = inner
        self.secrets = secrets
        self.sandbox = sandbox
    }

    /// Runs `body`, turning any failure into a ProviderError whose message is redacted.
    private func call<T>(_ operation: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch is CancellationError {
            throw CancellationError()
        } catch let error as ProviderError {
            throw ProviderError(provider: error.provider, operation: error.operation, message: shown(error.message), kind: error.kind,
                                code: error.code.map(shown))
        } catch let error as AnswerError {
            throw ProviderError(provider: name, operation: operation, message: "returned an invalid answer: \(shown(error.message))")
        } catch {
            throw ProviderError(provider: name, operation: operation, message: shown("\(error)"))
        }
    }

    /// What a driver or cloud said, as it may be stored and shown: redacted of every secret first,
    /// then escaped and cut (`ControlCharacters.outside`).
    private func shown(_ text: String) -> String {
        ControlCharacters.outside(secrets.redact(text))
    }

    public func validate() async throws { try await call("validate") { try await inner.validate() } }
    public func capabilities() async throws -> ProviderCapabilities { try await call("initialize") { try await inner.capabilities() } }

    public func deploy(_ request: DeployRequest) async throws -> DeployAppResult {
        try await call("deploy") {
            let r = try await inner.deploy(request)
            let check = AnswerCheck(secrets: secrets)
            var result = DeployAppResult(
                vmName: try check.name(r.vmName, "vmName"), vmUuid: try check.name(r.vmUuid, "vmUuid"),
                deployedAppAddress: try check.address(r.deployedAppAddress, "deployedAppAddress"),
                deployedAppAttributes: secrets.redact(r.deployedAppAttributes), deployedAppAdditionalData: try check.nestedMap(r.deployedAppAdditionalData, "deployedAppAdditionalData"),
                vmDetailsData: try check.nested(r.vmDetailsData, "vmDetailsData"))
            result.power = r.power
            for (subnet, interface) in r.subnetInterfaces {
                result.subnetInterfaces[try check.text(subnet, "subnet id")] = try check.text(interface, "interface")
            }
            return result
        }
    }

    public func powerOn(_ app: DeployedApp) async throws { try await call("powerOn") { try await inner.powerOn(app) } }
    public func powerOff(_ app: DeployedApp) async throws { try await call("powerOff") { try await inner.powerOff(app) } }

    public func refreshIP(_ app: DeployedApp) async throws -> Addresses {
        try await call("refreshIP") { try AnswerCheck(secrets: secrets).addresses(try await inner.refreshIP(app)) }
    }

    public func delete(_ app: DeployedApp) async throws { try await call("delete") { try await inner.delete(app) } }

    public func findByName(_ vmName: String) async throws -> Observation? {
        // A VM tagged with another sandbox is not this one's, whatever its name.
        try await call("findByName") {
            try await inner.findByName(vmName).map { try AnswerCheck(secrets: secrets).observation($0) }.flatMap { $0.sandbox.isEmpty || $0.sandbox == sandbox ? $0 : nil }
        }
    }

    public func findLaunched(_ slot: LaunchSlot, app: String, vmName: String) async throws -> Observation? {
        try await call("findLaunched") {
            try await inner.findLaunched(slot, app: app, vmName: vmName).map { try AnswerCheck(secrets: secrets).observation($0) }.flatMap { $0.sandbox.isEmpty || $0.sandbox == sandbox ? $0 : nil }
        }
    }

    public func observe(_ apps: [DeployedApp]) async throws -> [Observation] {
        try await call("observe") { try await inner.observe(apps).map { try AnswerCheck(secrets: secrets).observation($0) } }
    }

    public func inventory(sandbox: String) async throws -> [Observation] {
        // Only the VMs tagged with the sandbox asked about, whatever the provider's filter let through.
        try await call("inventory") {
            try await inner.inventory(sandbox: sandbox).filter { $0.sandbox == sandbox }.map { try AnswerCheck(secrets: secrets).observation($0) }
        }
    }

    public func applyConnectivityChanges(_ changes: [VLANChange]) async throws -> [VLANResult] {
        try await call("applyConnectivityChanges") {
            let check = AnswerCheck(secrets: secrets)
            return try await inner.l2().applyConnectivityChanges(changes).map { r in
                VLANResult(actionId: try check.text(r.actionId, "actionId"), success: r.success, errorMessage: secrets.redact(r.errorMessage),
                           updatedInterface: try check.text(r.updatedInterface, "updatedInterface"))
            }
        }
    }

    public func prepareSandboxInfra(_ request: InfraRequest) async throws -> InfraResult {
        try await call("prepareSandboxInfra") {
            let r = try await inner.l3().prepareSandboxInfra(request)
            // The key is kept in the state (masked when shown) and redacted from everything else.
            if let keys = r.keys { secrets.add(keys) }
            let check = AnswerCheck(secrets: secrets)
            var ids: [String: String] = [:]
            for (subnet, id) in r.subnetIds { ids[subnet] = try check.text(id, "subnet id") }
            return InfraResult(networkId: try check.text(r.networkId, "networkId"), subnetIds: ids, keys: r.keys)
        }
    }

    public func cleanSandboxInfra(_ request: InfraCleanup) async throws {
        try await call("cleanSandboxInfra") { try await inner.l3().cleanSandboxInfra(request) }
    }

    public func shutdown() async { await inner.shutdown() }
    public func prefetch() { inner.prefetch() }

    /// The catalog as firm's own reader takes it (bounded, printable), with every secret redacted.
    public func catalog(_ query: CatalogQuery) async throws -> ProviderCatalog? {
        try await call("catalog") {
            guard let catalog = try await inner.catalog(query) else { return nil }
            return try CatalogDecoder.decode(Self.redacted(catalog.json, secrets), provider: name)
        }
    }

    public func saveApp(_ request: SaveAppRequest) async throws -> SaveAppResult {
        try await call("saveApp") { try checked(try await inner.saveApp(request)) }
    }

    public func findSavedApp(snapshot: String, sandbox: String) async throws -> SaveAppResult? {
        try await call("findSavedApp") { try await inner.findSavedApp(snapshot: snapshot, sandbox: sandbox).map(checked) }
    }

    public func deleteSavedApp(_ request: DeleteSavedAppRequest) async throws {
        try await call("deleteSavedApp") { try await inner.deleteSavedApp(request) }
    }

    /// A SaveAppResult as the state may record it: at most 100 artifacts and attributes, each
    /// name and value short and printable, secrets redacted.
    private func checked(_ result: SaveAppResult) throws -> SaveAppResult {
        let check = AnswerCheck(secrets: secrets)
        func map(_ m: [String: String], _ field: String) throws -> [String: String] {
            guard m.count <= 100 else { throw AnswerError.other("\(field) has \(m.count) entries; at most 100 are taken") }
            var out: [String: String] = [:]
            for (k, v) in m { out[try check.name(k, field + " name")] = try check.text(v, field + " " + quoted(k)) }
            return out
        }
        guard !result.artifacts.isEmpty || !result.savedEntityAttributes.isEmpty else {
            throw AnswerError.other("the SaveAppResult has no artifacts and no savedEntityAttributes: nothing could be deployed from it")
        }
        return SaveAppResult(artifacts: try map(result.artifacts, "artifacts"), savedEntityAttributes: try map(result.savedEntityAttributes, "savedEntityAttributes"))
    }

    static func redacted(_ json: JSON, _ secrets: Secrets) -> JSON {
        switch json {
        case .string(let s): .string(secrets.redact(s))
        case .array(let items): .array(items.map { redacted($0, secrets) })
        case .object(let o): .object(JSONObject(o.members.map { ($0.key, redacted($0.value, secrets)) }))
        default: json
        }
    }
}
