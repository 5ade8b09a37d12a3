import FirmBase
import FirmModel
import FirmPlanning

/// Runs planned actions: one at a time, or connectivity actions of one provider as a batch.
public protocol ActionRunning: Sendable {
    func run(_ action: PlannedAction) async -> ActionOutcome
    /// Runs actions that go to the provider in one call; one outcome per action, in order.
    func runBatch(_ actions: [PlannedAction]) async -> [ActionOutcome]
    /// Where outcomes `.recorded(_, serial:)` become durable; nil for a runner that returns none.
    var durability: DurabilityMark? { get }
}

extension ActionRunning {
    public var durability: DurabilityMark? { nil }

    public func runBatch(_ actions: [PlannedAction]) async -> [ActionOutcome] {
        var outcomes: [ActionOutcome] = []
        for action in actions { outcomes.append(await run(action)) }
        return outcomes
    }
}

/// Runs actions against the providers and records each result: an action's last records are
/// handed to the journal and returned as `.recorded` with their serial, and the executor starts
/// nothing that depends on them before they are on disk; the provider's slot is free meanwhile.
/// Deploys and deletes record an intent first, and wait for it to be durable before the
/// provider call, so that a crash mid-call leaves something to recover, never an orphan.
public struct ActionRunner: ActionRunning {
    public let blueprint: Blueprint
    /// The sandbox the VMs are tagged with and drivers are told of: `--sandbox`, by default
    /// the blueprint's name.
    public let sandbox: String
    public let providers: [String: any CloudProvider]
    public let recorder: StateRecorder
    public let environment: Environment
    /// Hears of each retry of a provider call: the action, the try that failed, the tries
    /// allowed, the wait, and the failure.
    public let onRetry: @Sendable (PlannedAction, Int, Int, Duration, String) -> Void
    public var durability: DurabilityMark? { recorder.durability }

    public init(blueprint: Blueprint, sandbox: String? = nil, providers: [String: any CloudProvider], recorder: StateRecorder, environment: Environment = .process,
                onRetry: @escaping @Sendable (PlannedAction, Int, Int, Duration, String) -> Void = { _, _, _, _, _ in }) {
        self.blueprint = blueprint
        self.sandbox = sandbox ?? blueprint.name
        self.providers = providers
        self.recorder = recorder
        self.environment = environment
        self.onRetry = onRetry
    }

    /// Calls `provider` through `body`, trying again after retryable failures, as its limits say.
    func retrying<T>(_ action: PlannedAction, _ provider: any CloudProvider, _ body: (Int) async throws -> T) async throws -> T {
        let policy = RetryPolicy(provider)
        return try await policy.run(body) { attempt, delay, error in onRetry(action, attempt, policy.tries, delay, error.description) }
    }

    public func run(_ action: PlannedAction) async -> ActionOutcome {
        do {
            switch action.kind {
            case .prepareInfra(let preparation): return .succeeded(try await prepareInfra(preparation, action))
            case .cleanInfra(let cleaning): return .succeeded(try await cleanInfra(cleaning, provider: action.provider, action))
            case .connect, .disconnect: return await runBatch([action])[0]
            case .deploy(let app, let subnets): return try await deploy(app, subnets: subnets, action)
            case .delete(let app): return try await delete(app, action)
            case .replace(let app, let subnets):
                // The deploy's intent waits for the delete's records, which come before it.
                _ = try await delete(app, action)
                return try await deploy(app, subnets: subnets, action)
            case .powerOn(let app): return try await setPower(.on, app, action)
            case .powerOff(let app): return try await setPower(.off, app, action)
            case .refreshIP(let app): return try await refreshIP(app, action)
            }
        } catch {
            return Self.outcome(error)
        }
    }

    /// The outcome for an error thrown by an action.
    static func outcome(_ error: any Error) -> ActionOutcome {
        .failed(ActionFailure(error))
    }

    func provider(_ name: String) throws -> any CloudProvider {
        guard let p = providers[name] else { throw ActionError.providerNotConfigured(name) }
        return p
    }

    func current(_ app: String) async throws -> AppState {
        guard let state = recorder.app(app) else { throw ActionError.notInState(app: app) }
        return state
    }

    func deploy(_ app: String, subnets names: [String], _ action: PlannedAction) async throws -> ActionOutcome {
        guard let spec = blueprint.apps[app] else { throw ActionError.notInBlueprint(app: app) }
        let path = spec.deploymentPath
        let provider = try provider(path.provider)
        let subnets = try await subnetConnections(names)
        var request = DeployRequest(
            actionId: UUIDText.random(), appName: app, vmName: "\(app)__\(UUIDText.hex(6))", sandbox: sandbox,
            deploymentType: path.deploymentType, deploymentAttributes: try resolve(try restoring(path, app), app),
            appAttributes: try resolve(spec.attributes, app), subnets: subnets)
        request.desiredPower = spec.power
        let intent = Intent(id: request.actionId, operation: .deploy, app: app, provider: path.provider, vmName: request.vmName,
                            started: Timestamp.now(), deploymentPath: path, attributes: spec.attributes)
        try await recorder.record(.beginIntent(intent))
        // A provider that launches several VMs in one call records each one's slot in its
        // intent, durably, before that call; a retry looks for the VM by the last slot too.
        let slot = Locked<LaunchSlot?>(nil)
        request.launchRecorder = LaunchRecorder { [recorder] launch in
            var placed = intent
            placed.launch = launch
            try await recorder.record(.beginIntent(placed))
            slot.withLock { $0 = launch }
        }
        // A failed deploy leaves its intent open: whether the provider made a VM anyway (a
        // timeout, a crash mid-call) is settled by the next run's recovery, never guessed here.
        // A retry reuses the VM name, and first adopts the VM if the failed try made it.
        let result = try await retrying(action, provider) { attempt in
            if attempt > 1, let found = try await provider.findDeployed(app: app, vmName: request.vmName, sandbox: sandbox,
                                                                          known: recorder.vmUuids(), launch: slot.value) {
                var adopted = DeployAppResult(vmName: found.vmName, vmUuid: found.vmUuid, deployedAppAddress: found.addresses.privateAddress)
                adopted.power = found.power
                return adopted
            }
            return try await provider.deploy(request)
        }
        var state = AppState(provider: path.provider, deploymentPath: path, attributes: spec.attributes, vmName: result.vmName,
                             vmUuid: result.vmUuid, address: result.deployedAppAddress, power: result.power ?? .off,
                             deployedAttributes: result.deployedAppAttributes, additionalData: result.deployedAppAdditionalData)
        state.publicAddress = Self.primaryPublicAddress(result.vmDetailsData)
        for s in subnets {
            state.connections[s.network] = Connection(interface: result.subnetInterfaces[s.subnetId] ?? "", subnetId: s.subnetId)
        }
        let serial = try recorder.submit([.putApp(app, state), .endIntent(intent.id)])
        return .recorded("vm \(result.vmName), \(result.deployedAppAddress.isEmpty ? "no address yet" : result.deployedAppAddress)", serial: serial)
    }

    func delete(_ app: String, _ action: PlannedAction) async throws -> ActionOutcome {
        let state = try await current(app)
        let provider = try provider(state.provider)
        let intent = Intent(id: UUIDText.random(), operation: .delete, app: app, provider: state.provider, vmName: state.vmName,
                            vmUuid: state.vmUuid, started: Timestamp.now())
        try await recorder.record(.beginIntent(intent))
        try await retrying(action, provider) { _ in try await provider.delete(state.deployedApp(app, environment: environment)) }
        let serial = try recorder.submit([.removeApp(app), .endIntent(intent.id)])
        return .recorded("vm \(state.vmName) deleted", serial: serial)
    }

    func setPower(_ power: Power, _ app: String, _ action: PlannedAction) async throws -> ActionOutcome {
        let state = try await current(app)
        // A deploy that left the VM as the blueprint wants it (EC2 launches instances running)
        // recorded that power: there is nothing to change.
        if state.power == power { return .succeeded("vm \(state.vmName) is already \(power == .on ? "running" : "stopped")") }
        let provider = try provider(state.provider)
        try await retrying(action, provider) { _ in
            if power == .on { try await provider.powerOn(state.deployedApp(app, environment: environment)) } else { try await provider.powerOff(state.deployedApp(app, environment: environment)) }
        }
        let serial = try recorder.submit([.setPower(app, power)])
        return .recorded("vm \(state.vmName) is \(power == .on ? "running" : "stopped")", serial: serial)
    }

    func refreshIP(_ app: String, _ action: PlannedAction) async throws -> ActionOutcome {
        let state = try await current(app)
        let provider = try provider(state.provider)
        let addresses = try await retrying(action, provider) { _ in try await provider.refreshIP(state.deployedApp(app, environment: environment)) }
        let serial = try recorder.submit([.setAddresses(app, addresses)])
        return .recorded(addresses.publicAddress.isEmpty ? addresses.privateAddress : "\(addresses.privateAddress), public \(addresses.publicAddress)", serial: serial)
    }

    /// The deployment attributes with `"image": {"snapshot": NAME}` replaced by what restores
    /// the snapshot, as recorded.
    func restoring(_ path: DeploymentPath, _ app: String) throws -> [String: AttributeValue] {
        guard path.snapshot != nil else { return path.attributes }
        do throws(SnapshotError) {
            return try SnapshotRecord.restoring(path.attributes, app: app, provider: path.provider, snapshots: recorder.snapshots)
        } catch {
            throw ActionError.snapshot(error)
        }
    }

    /// Attribute values with `{"env": NAME}` read from the environment.
    func resolve(_ attributes: [String: AttributeValue], _ app: String) throws -> [String: String] {
        do {
            return try environment.resolve(attributes) { key in "app.\(app) attribute \(quoted(key))" }
        } catch let error as EnvironmentError {
            throw ActionError.environment(error)
        }
    }
}

extension ActionRunner {
    /// The public address of the primary interface in CloudShell's vmDetailsData, if any.
    static func primaryPublicAddress(_ details: JSON) -> String {
        let interfaces = details["vmNetworkData"]?.arrayValue ?? []
        let primary = interfaces.first { $0["isPrimary"]?.boolValue == true } ?? interfaces.first
        return primary?["publicIpAddress"]?.stringValue ?? ""
    }
}
