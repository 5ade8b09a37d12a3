/// Connectivity actions: VLAN changes in batches (ApplyConnectivityChanges), and L3 sandbox
/// infrastructure (PrepareSandboxInfra, CleanupSandboxInfra).
extension ActionRunner {
    /// Sends connect and disconnect actions of one provider in one ApplyConnectivityChanges
    /// call, matches each result by actionId, and records what succeeded in one group.
    public func runBatch(_ actions: [PlannedAction]) async -> [ActionOutcome] {
        var outcomes = [ActionOutcome?](repeating: nil, count: actions.count)
        var changes: [(Int, VLANChange)] = []
        for (i, action) in actions.enumerated() {
            guard action.type.isConnectivity, case .vlan(let network, let vlan, let mode) = action.details, let app = action.appName else {
                outcomes[i] = await run(action)
                continue
            }
            guard let state = await recorder.state.apps[app] else {
                outcomes[i] = .failed("app.\(app) is not in the state", fatal: false)
                continue
            }
            let kind: VLANChange.Kind = action.type == .connect ? .setVlan : .removeVlan
            changes.append((i, VLANChange(actionId: UUIDText.random(), kind: kind, app: state.deployedApp(app), vlan: vlan, mode: mode,
                                          interface: state.connections[network]?.interface ?? "")))
        }
        guard let first = changes.first else { return outcomes.map { $0! } }
        let providerName = actions[first.0].provider
        do {
            let results = try await provider(providerName).applyConnectivityChanges(changes.map(\.1))
            var byId: [String: VLANResult] = [:]
            for r in results { byId[r.actionId] = r }
            let unknown = Set(byId.keys).subtracting(changes.map(\.1.actionId)).sorted()
            var records: [StateChange] = []
            var apps: [String: AppState] = [:]
            for (i, change) in changes {
                let action = actions[i]
                guard let result = byId[change.actionId] else {
                    var message = "provider \(quoted(providerName)) returned no result for this action (actionId \(change.actionId))"
                    if !unknown.isEmpty { message += "; it answered unknown actionIds " + unknown.joined(separator: ", ") }
                    outcomes[i] = .failed(message, fatal: false)
                    continue
                }
                guard result.success else {
                    outcomes[i] = .failed("provider \(quoted(providerName)): \(change.kind.rawValue) failed: \(result.errorMessage)", fatal: false)
                    continue
                }
                let app = action.appName!, network = action.network!
                let recorded = await recorder.state.apps[app]
                guard var state = apps[app] ?? recorded else {
                    outcomes[i] = .failed("app.\(app) left the state during the call", fatal: false)
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
            for (i, _) in changes where outcomes[i] == nil || isSuccess(outcomes[i]!) { outcomes[i] = Self.outcome(error) }
        }
        return outcomes.map { $0 ?? .failed("not run", fatal: false) }
    }

    private func isSuccess(_ outcome: ActionOutcome) -> Bool {
        if case .succeeded = outcome { return true }
        return false
    }

    /// The subnets an L3 deploy connects to, with the ids their preparation recorded.
    func subnetConnections(_ details: ActionDetails) async throws -> [SubnetConnection] {
        guard case .subnets(let names) = details else { return [] }
        let networks = await recorder.state.networks
        return try names.map { name in
            guard let n = networks[name], let id = n.subnetId, let cidr = n.cidr else {
                throw ActionError("network.\(name) has not been prepared (no subnet id in the state)")
            }
            return SubnetConnection(actionId: UUIDText.random(), network: name, subnetId: id, cidr: cidr, isPublic: n.isPublic)
        }
    }

    func prepareInfra(_ action: PlannedAction) async throws -> String {
        guard case .prepare(let cloud, let subnets, let keys) = action.details else { throw ActionError("prepareInfra without its details") }
        let result = try await provider(action.provider).prepareSandboxInfra(
            InfraRequest(sandbox: blueprint.name, cloudCIDR: cloud, subnets: subnets, createKeys: keys))
        var records: [StateChange] = []
        let existing = await recorder.state.infra[action.provider]
        if existing == nil || result.keys != nil {
            records.append(.putInfra(action.provider, InfraState(cidr: cloud ?? existing?.cidr ?? "", networkId: result.networkId,
                                                                 keys: result.keys ?? existing?.keys ?? "")))
        }
        for subnet in subnets {
            guard let id = result.subnetIds[subnet.name] else {
                throw ActionError("provider \(quoted(action.provider)) prepared no subnet for network.\(subnet.name)")
            }
            records.append(.putNetwork(subnet.name, NetworkState(provider: action.provider, cidr: subnet.cidr, subnetId: id, isPublic: subnet.isPublic)))
        }
        try await recorder.record(records)
        return "network \(result.networkId)" + (subnets.isEmpty ? "" : ", subnets " + subnets.map { "\($0.name)=\(result.subnetIds[$0.name]!)" }.joined(separator: " "))
    }

    func cleanInfra(_ action: PlannedAction) async throws -> String {
        guard case .clean(let all, let names) = action.details else { throw ActionError("cleanInfra without its details") }
        let networks = await recorder.state.networks
        let ids = names.compactMap { networks[$0]?.subnetId }
        try await provider(action.provider).cleanSandboxInfra(InfraCleanup(sandbox: blueprint.name, all: all, subnetIds: ids))
        var records = names.map { StateChange.removeNetwork($0) }
        if all { records.append(.removeInfra(action.provider)) }
        try await recorder.record(records)
        return all ? "sandbox infrastructure removed" : "subnet\(ids.count == 1 ? "" : "s") removed"
    }
}
