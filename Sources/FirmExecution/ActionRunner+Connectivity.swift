import FirmBase
import FirmModel
import FirmPlanning

/// Connectivity actions: VLAN changes in batches (ApplyConnectivityChanges), and L3 sandbox
/// infrastructure (PrepareSandboxInfra, CleanupSandboxInfra).
extension ActionRunner {
    /// Sends connect and disconnect actions of one provider in one ApplyConnectivityChanges
    /// call, matches each result by actionId, and records what succeeded in one group.
    public func runBatch(_ actions: [PlannedAction]) async -> [ActionOutcome] {
        var outcomes = [ActionOutcome?](repeating: nil, count: actions.count)
        var changes: [(Int, VLANChange, network: String)] = []
        for (i, action) in actions.enumerated() {
            let app: String, link: VLANLink, kind: VLANChange.Kind
            switch action.kind {
            case .connect(let a, let l): (app, link, kind) = (a, l, .setVlan)
            case .disconnect(let a, let l): (app, link, kind) = (a, l, .removeVlan)
            default:
                outcomes[i] = await run(action)
                continue
            }
            guard let state = recorder.app(app) else {
                outcomes[i] = .failed(.action(.notInState(app: app)))
                continue
            }
            changes.append((i, VLANChange(actionId: UUIDText.random(), kind: kind, app: state.deployedApp(app), vlan: link.vlan, mode: link.mode,
                                          interface: state.connections[link.network]?.interface ?? ""), link.network))
        }
        guard let first = changes.first else { return outcomes.map { $0! } }
        let providerName = actions[first.0].provider
        do {
            let provider = try provider(providerName), l2 = try provider.l2()
            let results = try await retrying(actions[first.0], provider) { _ in try await l2.applyConnectivityChanges(changes.map(\.1)) }
            var byId: [String: VLANResult] = [:]
            for r in results { byId[r.actionId] = r }
            let unknown = Set(byId.keys).subtracting(changes.map(\.1.actionId)).sorted()
            var records: [StateChange] = []
            var apps: [String: AppState] = [:]
            for (i, change, network) in changes {
                guard let result = byId[change.actionId] else {
                    outcomes[i] = .failed(.action(.noResult(provider: providerName, actionId: change.actionId, unknown: unknown)))
                    continue
                }
                guard result.success else {
                    outcomes[i] = .failed(.provider(ProviderError(provider: providerName, operation: change.kind.rawValue, message: result.errorMessage)))
                    continue
                }
                let app = change.app.appName
                let recorded = recorder.app(app)
                guard var state = apps[app] ?? recorded else {
                    outcomes[i] = .failed(.action(.leftState(app: app)))
                    continue
                }
                if change.kind == .setVlan {
                    state.connections[network] = Connection(vlan: change.vlan, mode: change.mode, interface: result.updatedInterface)
                    records.append(.putNetwork(network, NetworkState(provider: providerName, vlan: change.vlan)))
                    outcomes[i] = .succeeded("vlan \(change.vlan) on interface \(result.updatedInterface)")
                } else {
                    state.connections[network] = nil
                    outcomes[i] = .succeeded("vlan \(change.vlan) removed")
                }
                apps[app] = state
            }
            records += apps.keys.sorted().map { StateChange.putApp($0, apps[$0]!) }
            if !records.isEmpty { try await recorder.record(records) }
        } catch {
            for (i, _, _) in changes where outcomes[i] == nil || isSuccess(outcomes[i]!) { outcomes[i] = Self.outcome(error) }
        }
        return outcomes.map { $0 ?? .failed(.action(.notRun)) }
    }

    private func isSuccess(_ outcome: ActionOutcome) -> Bool {
        if case .succeeded = outcome { return true }
        return false
    }

    /// The subnets an L3 deploy connects to, with the ids their preparation recorded.
    func subnetConnections(_ names: [String]) async throws -> [SubnetConnection] {
        if names.isEmpty { return [] }
        let networks = recorder.networks
        return try names.map { name in
            guard let n = networks[name], let id = n.subnetId, let cidr = n.cidr else {
                throw ActionError.networkNotPrepared(name)
            }
            return SubnetConnection(actionId: UUIDText.random(), network: name, subnetId: id, cidr: cidr, isPublic: n.isPublic)
        }
    }

    func prepareInfra(_ preparation: InfraPreparation, _ action: PlannedAction) async throws -> String {
        let provider = preparation.provider, cloud = preparation.cloud, subnets = preparation.subnets
        let driver = try self.provider(provider).l3()
        let existing = recorder.infra(provider)
        // CloudShell sends one prepareCloudInfra and one createKeys on every call, and shells
        // (cp-core's flow, cp-aws) fail without them: a later call repeats the recorded cloud
        // network and asks for the keys again, which get-or-create returns as they are.
        let recordedCloud = existing.map(\.cidr).flatMap { $0.isEmpty ? nil : $0 }
        var request = InfraRequest(sandbox: sandbox, cloudCIDR: cloud ?? recordedCloud ?? Topology.defaultCloudCIDR.description,
                                   subnets: subnets, createKeys: true)
        request.keysKnown = !(existing?.keys.isEmpty ?? true) && existing?.cleaning != true
        let result = try await retrying(action, driver) { _ in try await driver.prepareSandboxInfra(request) }
        var records: [StateChange] = []
        if existing == nil || existing?.cleaning == true || result.keys != nil {
            records.append(.putInfra(provider, InfraState(cidr: cloud ?? existing?.cidr ?? "", networkId: result.networkId,
                                                                 keys: result.keys ?? existing?.keys ?? "")))
        }
        for subnet in subnets {
            guard let id = result.subnetIds[subnet.name] else {
                throw ActionError.noSubnetPrepared(provider: provider, network: subnet.name)
            }
            records.append(.putNetwork(subnet.name, NetworkState(provider: provider, cidr: subnet.cidr, subnetId: id, isPublic: subnet.isPublic)))
        }
        try await recorder.record(records)
        return "network \(result.networkId)" + (subnets.isEmpty ? "" : ", subnets " + subnets.map { "\($0.name)=\(result.subnetIds[$0.name]!)" }.joined(separator: " "))
    }

    func cleanInfra(_ cleaning: InfraCleaning, provider: String, _ action: PlannedAction) async throws -> String {
        let names = cleaning.subnets
        let all: Bool
        if case .sandbox = cleaning { all = true } else { all = false }
        let networks = recorder.networks
        let ids = names.compactMap { networks[$0]?.subnetId }
        let driver = try self.provider(provider).l3()
        if all, var infra = recorder.infra(provider), !infra.cleaning {
            infra.cleaning = true
            try await recorder.record(.putInfra(provider, infra))
        }
        try await retrying(action, driver) { _ in try await driver.cleanSandboxInfra(InfraCleanup(sandbox: sandbox, all: all, subnetIds: ids)) }
        var records = names.map { StateChange.removeNetwork($0) }
        if all { records.append(.removeInfra(provider)) }
        try await recorder.record(records)
        return all ? "sandbox infrastructure removed" : "subnet\(ids.count == 1 ? "" : "s") removed"
    }
}
