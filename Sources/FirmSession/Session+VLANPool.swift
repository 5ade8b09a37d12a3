import FirmBase
import FirmModel
import FirmPlanning
import FirmExecution

/// The VLAN pool: `auto` VLANs come from the provider's range across every sandbox that uses
/// the provider, and a fixed id another live sandbox holds is refused, naming it.
extension Session {
    /// The blueprint's L2 providers.
    var l2Providers: [String] { blueprint.providers.keys.filter { blueprint.providers[$0]!.connectivity == .l2 }.sorted() }

    /// The pool's key for a provider: its type and a digest of its type, connectivity and
    /// settings (secrets stay `{"env"}` references), so that blueprints that configure the same
    /// cloud share ids, whatever they call the provider.
    func poolKey(_ provider: String) -> String {
        let spec = blueprint.providers[provider]!
        let identity: JSON = ["type": .string(spec.type), "connectivity": .string(spec.connectivity.rawValue), "settings": spec.settings]
        return spec.type + ":" + SHA256.hex(identity.compactText).prefix(16)
    }

    /// By provider name: the ids other sandboxes hold, with who holds each.
    func heldByOthers(_ pool: VLANPool) -> [String: [Int: String]] {
        var result: [String: [Int: String]] = [:]
        for provider in l2Providers { result[provider] = pool.heldByOthers(poolKey(provider), except: sandbox) }
        return result
    }

    /// A fixed VLAN another sandbox holds, or an `auto` VLAN the range can't give: refused.
    func checkVLANs(_ held: [String: [Int: String]], _ topology: Topology) throws {
        for name in blueprint.networks.keys.sorted() {
            let spec = blueprint.networks[name]!
            guard case .vlan(let kind) = spec.kind else { continue }
            switch kind {
            case .fixed(let id):
                if let other = held[spec.provider]?[id] {
                    throw SandboxError.vlanTaken(network: name, vlan: id, provider: spec.provider, sandbox: other)
                }
            case .auto:
                if topology.networks[name] == nil { throw SandboxError.vlanRangeFull(network: name, provider: spec.provider) }
            }
        }
    }

    /// The plan for `state`, clear of the VLANs other sandboxes hold (the pool is read, not locked).
    public func plan(for state: State, destroying: Bool) async throws -> Plan {
        let target = destroying ? emptied : blueprint
        var reserved: [String: Set<Int>] = [:]
        if !destroying, !l2Providers.isEmpty {
            let held = heldByOthers(try await backend.readVLANPool())
            reserved = held.mapValues { Set($0.keys) }
            try checkVLANs(held, Topology.resolve(blueprint, state: state, reserved: reserved))
        }
        return Planner.plan(blueprint: target, blueprintFile: blueprintFile, state: state, destroying: destroying,
                            capabilities: try await capabilities(for: state), reserved: reserved)
    }

    /// Plans for a locked state (or takes `saved`) and reserves this sandbox's VLANs in the pool,
    /// all under the pool's lock, so that two sandboxes applied at once never take one id. The
    /// returned Locked also records the VLANs in the state when `begin` makes it writable. A
    /// saved plan whose VLANs another sandbox took since is refused as stale.
    public func planAndReserve(_ locked: Locked, destroying: Bool, saved: Plan?) async throws -> (plan: Plan, locked: Locked) {
        guard !destroying, !l2Providers.isEmpty else {
            if let saved { return (saved, locked) }
            return (try await plan(for: locked.state, destroying: destroying), locked)
        }
        let capabilities = try await capabilities(for: locked.state)
        let (plan, topology) = try await backend.updateVLANPool { (value: inout VLANPool) throws -> (Plan, Topology) in
            try reserve(in: &value, locked.state, capabilities: capabilities, saved: saved)
        }
        var changes = locked.changes
        var state = locked.state
        for change in Self.vlanRecords(topology, state) {
            changes.append(change)
            state.apply(change)
        }
        return (plan, Locked(lock: locked.lock, loaded: locked.loaded, state: state, changes: changes, recovered: locked.recovered, drift: locked.drift))
    }

    /// Plans for `state` (or takes `saved`) clear of the VLANs others hold in `value`, and sets
    /// this sandbox's entry in it.
    func reserve(in value: inout VLANPool, _ state: State, capabilities: [String: ProviderCapabilities], saved: Plan?) throws -> (Plan, Topology) {
        let held = heldByOthers(value)
        let reserved = held.mapValues { Set($0.keys) }
        let topology = Topology.resolve(blueprint, state: state, reserved: reserved)
        try checkVLANs(held, topology)
        let plan: Plan
        if let saved {
            for action in saved.actions {
                guard case .connect(_, let link) = action.kind, let other = held[action.provider]?[link.vlan] else { continue }
                throw PlanError.stale("VLAN \(link.vlan) of network.\(link.network) is now held by the sandbox \(other); make a new plan")
            }
            plan = saved
        } else {
            plan = Planner.plan(blueprint: blueprint, blueprintFile: blueprintFile, state: state, capabilities: capabilities, reserved: reserved)
        }
        for provider in l2Providers {
            var mine: [String: Int] = [:]
            for (name, network) in topology.networks where network.provider == provider {
                if case .vlan(let id) = network.kind { mine[name] = id }
            }
            // What the state still records (networks being removed) stays held until finish.
            for (name, network) in state.networks where network.provider == provider && mine[name] == nil {
                if let id = network.vlan { mine[name] = id }
            }
            value.set(poolKey(provider), sandbox: sandbox, mine)
        }
        return (plan, topology)
    }

    /// The putNetwork changes that record the VLAN ids `topology` gives (so `auto` ids stay stable).
    static func vlanRecords(_ topology: Topology, _ state: State) -> [StateChange] {
        var changes: [StateChange] = []
        for (name, network) in topology.networks.sorted(by: { $0.key < $1.key }) {
            guard case .vlan(let id) = network.kind else { continue }
            let record = NetworkState(provider: network.provider, vlan: id)
            if state.networks[name] != record { changes.append(.putNetwork(name, record)) }
        }
        return changes
    }

    /// Gives back what `planAndReserve` reserved for a run that then refused: the sandbox's
    /// entry is set back to what its state records.
    public func releaseReservation(_ settled: Locked) async throws {
        try await syncVLANPool(settled.loaded.state)
    }

    /// Sets this sandbox's entry in the pool to the VLANs `state` records (none after a destroy).
    func syncVLANPool(_ state: State) async throws {
        let keys = Dictionary(uniqueKeysWithValues: l2Providers.map { ($0, poolKey($0)) })
        guard !keys.isEmpty else { return }
        let sandbox = sandbox
        try await backend.updateVLANPool { (value: inout VLANPool) in
            for (provider, key) in keys {
                var mine: [String: Int] = [:]
                for (name, network) in state.networks where network.provider == provider {
                    if let id = network.vlan { mine[name] = id }
                }
                value.set(key, sandbox: sandbox, mine)
            }
        }
    }

    /// The ids other sandboxes hold, by provider, for the blueprint's own topology at finish.
    func reservedForFinish() async -> [String: Set<Int>] {
        guard !l2Providers.isEmpty, let value = try? await backend.readVLANPool() else { return [:] }
        return heldByOthers(value).mapValues { Set($0.keys) }
    }
}
