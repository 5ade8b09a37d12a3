import FirmBase
import FirmModel
import FirmPlanning
import FirmExecution

extension Session {
    /// The VMs the providers have tagged with this sandbox that `state` does not record, by
    /// provider: VMs another state manages, or that a state lost. VMs named by `inFlight` (calls
    /// a running apply has open) are not among them. Only `providerNames` are asked (default:
    /// every provider); a driver without an inventory (a CloudShell shell through the host)
    /// can't be asked and is skipped.
    public func unrecordedVMs(_ state: State, inFlight: Set<String> = [], providerNames: [String]? = nil) async throws -> [(provider: String, vm: Observation)] {
        let known = Set(state.apps.values.map(\.vmUuid))
        var found: [(provider: String, vm: Observation)] = []
        for name in (providerNames ?? Array(providers.keys)).sorted() {
            guard let provider = providers[name], try await provider.capabilities().inventory else { continue }
            let sandbox = sandbox
            for vm in try await RetryPolicy(provider).run({ _ in try await provider.inventory(sandbox: sandbox) })
            where vm.exists && !known.contains(vm.vmUuid) && !inFlight.contains(vm.vmName) {
                found.append((name, vm))
            }
        }
        return found
    }

    /// Refuses a plan that would deploy an app for which a provider already has a VM tagged with
    /// this sandbox that `state` does not record: the state is not the one that made it (another
    /// folder, a moved state, another sandbox's state), and deploying would make a duplicate.
    /// `skipping` names providers a plan does not start (`unstartable`).
    public func refuseDuplicates(_ plan: Plan, state: State, skipping: Set<String> = []) async throws {
        // The providers that deploy (a deploy's provider is its app's); nearly always they hold no
        // unrecorded VM at all, and the apps deployed need not be looked at.
        var providers: [String] = []
        for action in plan.actions where (action.type == .deploy || action.type == .replace) && !providers.contains(action.provider)
            && !skipping.contains(action.provider) {
            providers.append(action.provider)
        }
        guard !providers.isEmpty else { return }
        let inFlight = Set(state.intents.values.map(\.vmName))
        let unrecorded = try await unrecordedVMs(state, inFlight: inFlight, providerNames: providers)
        guard !unrecorded.isEmpty else { return }
        var deploying: [String: Set<String>] = [:]
        for action in plan.actions where action.type == .deploy || action.type == .replace {
            guard let app = action.appName, let spec = blueprint.apps[app] else { continue }
            deploying[spec.deploymentPath.provider, default: []].insert(app)
        }
        let duplicates = unrecorded
            .filter { deploying[$0.provider]?.contains($0.vm.appName) == true }
            .map { SandboxError.UnrecordedVM(provider: $0.provider, app: $0.vm.appName, vmName: $0.vm.vmName, vmUuid: $0.vm.vmUuid) }
        guard duplicates.isEmpty else {
            throw SandboxError.unrecordedVMs(sandbox: sandbox, state: backend.location, blueprintFile: blueprintFile,
                                             vms: duplicates.sorted { ($0.app, $0.vmName) < ($1.app, $1.vmName) })
        }
    }
}
