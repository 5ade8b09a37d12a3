import FirmBase
import FirmModel
import FirmPlanning
import FirmExecution

/// Asks the providers what is real for every app in the state, in one batch per provider, and
/// returns the state as the world really is, with a note for every difference.
public enum Refresher {
    /// One difference between the recorded state and the world.
    public struct Note: Sendable, Equatable {
        public enum Kind: String, Sendable { case missing, power, address, connectivity }
        public var app: String
        public var kind: Kind
        public var expected: String
        public var actual: String
    }

    /// Apps per `observe` call.
    public static let batchSize = 100

    /// The changes that bring `state` in line with what the providers observe. Observations are
    /// asked for in batches per provider, at most `parallelism` batches at once.
    public static func refresh(_ state: State, providers: [String: any CloudProvider], parallelism: Int = 10) async throws -> (changes: [StateChange], notes: [Note]) {
        var byProvider: [String: [String]] = [:]
        for (name, app) in state.apps { byProvider[app.provider, default: []].append(name) }
        var batches: [(any CloudProvider, ArraySlice<String>)] = []
        for providerName in byProvider.keys.sorted() {
            guard let provider = providers[providerName] else { continue }
            let names = byProvider[providerName]!.sorted()
            for start in stride(from: 0, to: names.count, by: batchSize) {
                batches.append((provider, names[start..<min(start + batchSize, names.count)]))
            }
        }
        let answers = try await withThrowingTaskGroup(of: (Int, [Observation]).self) { group in
            var answers = [[Observation]](repeating: [], count: batches.count)
            var next = 0
            func add() {
                let (provider, names) = batches[next]
                let index = next
                next += 1
                let apps = names.map { state.apps[$0]!.deployedApp($0) }
                group.addTask {
                    let observed = try await RetryPolicy(provider).run { _ in try await provider.observe(apps) }
                    guard observed.count == apps.count else {
                        throw ProviderError(provider: provider.name, operation: "observe", message: "answered \(observed.count) observations for \(apps.count) apps")
                    }
                    return (index, observed)
                }
            }
            while next < batches.count && next < max(1, parallelism) { add() }
            while let (index, observed) = try await group.next() {
                answers[index] = observed
                if next < batches.count { add() }
            }
            return answers
        }
        // Every observed app by name: the batches' order already, when one provider has them all.
        var observations: [(name: String, observed: Observation)] = []
        observations.reserveCapacity(state.apps.count)
        for (batch, observed) in zip(batches, answers) {
            for (name, o) in zip(batch.1, observed) { observations.append((name, o)) }
        }
        if byProvider.count > 1 { observations.sort { $0.name < $1.name } }
        var changes: [StateChange] = []
        var notes: [Note] = []
        for (name, observed) in observations {
            guard var app = state.apps[name] else { continue }
            guard observed.exists else {
                notes.append(Note(app: name, kind: .missing, expected: "VM \(app.vmName)", actual: "no such VM"))
                changes.append(.removeApp(name))
                continue
            }
            // Power and addresses are recorded as small deltas; a lost connection rewrites the
            // app once, with whatever else changed folded in.
            var deltas: [StateChange] = []
            if let power = observed.power, power != app.power {
                notes.append(Note(app: name, kind: .power, expected: app.power.rawValue, actual: power.rawValue))
                deltas.append(.setPower(name, power))
                app.power = power
            }
            let addresses = observed.addresses
            if addresses.privateAddress != app.address || addresses.publicAddress != app.publicAddress {
                notes.append(Note(app: name, kind: .address, expected: describe(app.address, app.publicAddress), actual: describe(addresses.privateAddress, addresses.publicAddress)))
                deltas.append(.setAddresses(name, addresses))
                app.address = addresses.privateAddress
                app.publicAddress = addresses.publicAddress
            }
            var lost = false
            for (network, connection) in app.connections.sorted(by: { $0.key < $1.key }) {
                if let vlan = connection.vlan, let vlans = observed.vlans, !vlans.contains(vlan) {
                    notes.append(Note(app: name, kind: .connectivity, expected: "member of VLAN \(vlan) (network.\(network))", actual: "not a member"))
                    app.connections[network] = nil
                    lost = true
                } else if let subnet = connection.subnetId, let subnets = observed.subnetIds, !subnets.contains(subnet) {
                    notes.append(Note(app: name, kind: .connectivity, expected: "on subnet \(subnet) (network.\(network))", actual: "not on it"))
                    app.connections[network] = nil
                    lost = true
                }
            }
            changes += lost ? [.putApp(name, app)] : deltas
        }
        return (changes, notes)
    }

    static func describe(_ address: String, _ publicAddress: String) -> String {
        let a = address.isEmpty ? "(none)" : address
        return publicAddress.isEmpty ? a : "\(a), public \(publicAddress)"
    }
}
