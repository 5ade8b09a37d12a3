import FirmBase
import FirmModel

/// The keys of one sandbox's state under the prefix (see docs/state.md):
///
///     PREFIX/<sandbox>/meta            {version, lineage, serial, blueprint}
///     PREFIX/<sandbox>/sandbox         the sandbox record
///     PREFIX/<sandbox>/app/<name>      one per app, the same JSON as in a local state
///     PREFIX/<sandbox>/network/<name>
///     PREFIX/<sandbox>/infra/<provider>
///     PREFIX/<sandbox>/intent/<id>
///     PREFIX/<sandbox>/snapshot/<name>
///     PREFIX/<sandbox>/lock            attached to the holder's lease
///     PREFIX/_sandboxes/<sandbox>      an index, for `firm sandboxes`: the blueprint's name
///     PREFIX/_replicas/<replica>       a reconcile replica, attached to its lease
///     PREFIX/_claims/<sandbox>         the replica reconciling the sandbox, on that replica's lease
///     PREFIX/_vlan-pool                the VLAN pool of every sandbox under the prefix
///
/// Sandbox names start with a letter, so the `_` keys never meet one.
struct EtcdKeys: Sendable {
    let prefix: String
    let sandbox: String

    var root: String { prefix + "/" + sandbox + "/" }
    var meta: String { root + "meta" }
    var record: String { root + "sandbox" }
    var lock: String { root + "lock" }
    var index: String { prefix + "/_sandboxes/" + sandbox }
    var pool: String { prefix + "/_vlan-pool" }
    static func indexPrefix(_ prefix: String) -> String { prefix + "/_sandboxes/" }

    func app(_ name: String) -> String { root + "app/" + name }
    func network(_ name: String) -> String { root + "network/" + name }
    func infra(_ name: String) -> String { root + "infra/" + name }
    func intent(_ id: String) -> String { root + "intent/" + id }
    func snapshot(_ name: String) -> String { root + "snapshot/" + name }

    /// What a key under `root` holds.
    enum Item: Equatable {
        case meta, record, lock
        case app(String), network(String), infra(String), intent(String), snapshot(String)
    }

    func item(_ key: String) -> Item? {
        guard key.hasPrefix(root) else { return nil }
        let rest = key.dropFirst(root.count)
        switch rest {
        case "meta": return .meta
        case "sandbox": return .record
        case "lock": return .lock
        default: break
        }
        guard let slash = rest.firstIndex(of: "/") else { return nil }
        let name = String(rest[rest.index(after: slash)...])
        guard !name.isEmpty else { return nil }
        switch rest[..<slash] {
        case "app": return .app(name)
        case "network": return .network(name)
        case "infra": return .infra(name)
        case "intent": return .intent(name)
        case "snapshot": return .snapshot(name)
        default: return nil
        }
    }

    /// The keys a change touches, with their new values (nil: deleted), given the state after it.
    func writes(for change: StateChange, in state: State) -> [(key: String, value: JSON?)] {
        switch change {
        case .putApp(let name, _), .setPower(let name, _), .setAddresses(let name, _), .removeApp(let name):
            return [(app(name), state.apps[name]?.json)]
        case .beginIntent(let intent): return [(self.intent(intent.id), state.intents[intent.id]?.json)]
        case .endIntent(let id): return [(intent(id), nil)]
        case .putNetwork(let name, _), .removeNetwork(let name): return [(network(name), state.networks[name]?.json)]
        case .putInfra(let name, _), .removeInfra(let name): return [(infra(name), state.infra[name]?.json)]
        case .putSandbox: return [(record, state.sandbox?.json)]
        case .putSnapshot(let name, _), .removeSnapshot(let name): return [(snapshot(name), state.snapshots[name]?.json)]
        }
    }

    /// Every key of `state` with its value (the meta key aside).
    func all(_ state: State) -> [(key: String, value: JSON)] {
        var out: [(String, JSON)] = []
        for (name, value) in state.apps { out.append((app(name), value.json)) }
        for (name, value) in state.networks { out.append((network(name), value.json)) }
        for (name, value) in state.infra { out.append((infra(name), value.json)) }
        for (id, value) in state.intents { out.append((intent(id), value.json)) }
        for (name, value) in state.snapshots { out.append((snapshot(name), value.json)) }
        if let record = state.sandbox { out.append((self.record, record.json)) }
        return out.sorted { $0.0 < $1.0 }
    }

    static func metaJSON(_ state: State) -> JSON {
        ["version": .int(State.formatVersion), "lineage": .string(state.lineage), "serial": .int(state.serial), "blueprint": .string(state.blueprint)]
    }
}
