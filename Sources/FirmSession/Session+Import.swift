import FirmBase
import FirmModel
import FirmPlanning
import FirmExecution

extension Session {
    /// What an import adopted, and what it passed over.
    public struct ImportResult: Sendable, Equatable {
        /// "app.NAME: VM name (uuid)" for each adopted VM.
        public var adopted: [String]
        /// Why a VM was not adopted (`--all` only).
        public var passedOver: [String]
    }

    /// Adopts the existing VM `vm` (a name or a uuid) into the state as `app`, after checking with
    /// the app's provider that it exists and reading what it is: the sandbox's inventory first,
    /// then a lookup by name, then an observation by uuid. Takes the lock.
    public func importVM(app: String, vm: String, lockTimeout: Duration?) async throws -> ImportResult {
        guard let spec = blueprint.apps[app] else {
            throw SandboxError.importRefused("app.\(app) is not in the blueprint \(blueprintFile)")
        }
        let writable = try await open(operation: "import", lockTimeout: lockTimeout, refresh: false)
        defer { writable.lock.release() }
        let state = writable.recorder.state
        if let recorded = state.apps[app] {
            await writable.recorder.close()
            throw SandboxError.importRefused("app.\(app) is already recorded, as VM \(recorded.vmName) (\(recorded.vmUuid)); `firm state rm app.\(app)` forgets it first")
        }
        let providerName = spec.deploymentPath.provider
        guard let provider = providers[providerName], let found = try await find(vm, app: app, on: provider) else {
            await writable.recorder.close()
            throw SandboxError.importRefused("provider \(providerName) has no VM named \(quoted(vm)) or with that uuid; nothing was imported")
        }
        if let owner = state.apps.first(where: { $0.value.vmUuid == found.vmUuid }) {
            await writable.recorder.close()
            throw SandboxError.importRefused("VM \(found.vmName) (\(found.vmUuid)) is already recorded for app.\(owner.key)")
        }
        try await record([(app, found)], writable, state)
        return ImportResult(adopted: ["app.\(app): VM \(found.vmName) (\(found.vmUuid))"], passedOver: [])
    }

    /// Adopts every VM tagged with this sandbox that the state does not record and whose app tag
    /// names an app of the blueprint that the state does not record. Where an app has several
    /// such VMs, the first by name is adopted and the others are passed over (and `drift` shows
    /// them as unmanaged).
    public func importAll(lockTimeout: Duration?) async throws -> ImportResult {
        let writable = try await open(operation: "import", lockTimeout: lockTimeout, refresh: false)
        defer { writable.lock.release() }
        let state = writable.recorder.state
        var chosen: [String: Observation] = [:]
        var passedOver: [String] = []
        let candidates = try await unrecordedVMs(state).sorted { $0.vm.vmName < $1.vm.vmName }
        for (provider, vm) in candidates {
            let app = vm.appName
            guard let spec = blueprint.apps[app] else {
                passedOver.append("VM \(vm.vmName) (\(vm.vmUuid)): tagged for app \(quoted(app)), which the blueprint does not have")
                continue
            }
            guard spec.deploymentPath.provider == provider else {
                passedOver.append("VM \(vm.vmName) (\(vm.vmUuid)): on provider \(provider), but app.\(app) deploys on \(spec.deploymentPath.provider)")
                continue
            }
            if state.apps[app] != nil {
                passedOver.append("VM \(vm.vmName) (\(vm.vmUuid)): app.\(app) is already recorded, as VM \(state.apps[app]!.vmName)")
            } else if let first = chosen[app] {
                passedOver.append("VM \(vm.vmName) (\(vm.vmUuid)): app.\(app) has VM \(first.vmName) imported already")
            } else {
                chosen[app] = vm
            }
        }
        let adopted = chosen.keys.sorted().map { ($0, chosen[$0]!) }
        try await record(adopted, writable, state)
        return ImportResult(adopted: adopted.map { "app.\($0.0): VM \($0.1.vmName) (\($0.1.vmUuid))" }, passedOver: passedOver)
    }

    /// The VM `vm` names, as the provider reports it.
    private func find(_ vm: String, app: String, on provider: any CloudProvider) async throws -> Observation? {
        let policy = RetryPolicy(provider)
        if try await provider.capabilities().inventory {
            let sandbox = sandbox
            let listed = try await policy.run { _ in try await provider.inventory(sandbox: sandbox) }
            if let match = listed.first(where: { $0.exists && ($0.vmName == vm || $0.vmUuid == vm) }) { return match }
        }
        if let byName = try await policy.run({ _ in try await provider.findByName(vm) }), byName.exists { return byName }
        let seen = try await policy.run { _ in try await provider.observe([DeployedApp(appName: app, vmName: "", vmUuid: vm)]) }
        guard seen.count == 1, let observed = seen.first, observed.exists else { return nil }
        return observed
    }

    /// Records the adopted VMs durably, then compacts; the lock is the caller's.
    private func record(_ adopted: [(String, Observation)], _ writable: Writable, _ state: State) async throws {
        let topology = Topology.resolve(blueprint, state: state)
        let changes = adopted.map { app, vm in
            let spec = blueprint.apps[app]!
            var record = Recovery.adopted(vm, provider: spec.deploymentPath.provider, path: spec.deploymentPath, attributes: spec.attributes,
                                          networks: state.networks)
            // L2: the VLANs the blueprint connects the app to that the VM is already on.
            for (network, mode) in topology.connections[app] ?? [:] {
                if case .vlan(let id)? = topology.networks[network]?.kind, (vm.vlans ?? []).contains(id) {
                    record.connections[network] = Connection(vlan: id, mode: mode)
                }
            }
            return StateChange.putApp(app, record)
        }
        if !changes.isEmpty { try await writable.recorder.record(changes) }
        try await writable.recorder.compact()
        await writable.recorder.close()
    }
}
