import FirmBase
import FirmModel
import FirmEncryption

/// Records to an etcd state: each batch of records is one transaction (or a few, split between
/// groups where etcd's limits need it) that writes only the keys the records touch, plus the
/// meta key's serial, conditioned on the lock key still being ours. A batch the fence refuses
/// writes nothing, and every later one is refused too.
final class EtcdJournal: StateJournal, @unchecked Sendable {
    let client: EtcdClient
    let keys: EtcdKeys
    let lock: EtcdLock
    let location: String
    let sealing: EtcdSealing
    /// The state as written so far; StateRecorder appends one batch at a time, so only one
    /// call touches it at once.
    private var written: State
    private var metaWritten: Bool
    /// Seals the values when a key is set (see `encode`).
    private var sealer: EnvelopeSealer?
    /// Operations and bytes a transaction may carry, below etcd's defaults (128 operations,
    /// 1.5 MiB a request), with room for the meta and index puts and base64's growth.
    static let maxOps = 120
    static let maxBytes = 900 << 10

    init(client: EtcdClient, keys: EtcdKeys, lock: EtcdLock, loaded: LoadedState, location: String, sealing: EtcdSealing) {
        self.sealing = sealing
        self.client = client
        self.keys = keys
        self.lock = lock
        self.location = location
        written = loaded.state
        metaWritten = loaded.existed
    }

    func append(_ groups: [[(serial: Int, change: StateChange)]]) async throws {
        var chunk: [JSON] = []
        var bytes = 0
        var touched: [String: Int] = [:]
        var chunkSerial = written.serial
        for group in groups {
            var ops: [(String, JSON?)] = []
            for (serial, change) in group {
                written.apply(change)
                written.serial = serial
                ops.append(contentsOf: keys.writes(for: change, in: written).map { ($0.key, $0.value) })
            }
            var encoded: [(String, JSON, Int)] = []
            for (key, value) in ops {
                guard let value else { encoded.append((key, Etcd.delete(key), key.utf8.count)); continue }
                let data = try encode(key, value, serial: written.serial)
                encoded.append((key, Etcd.put(key, data), key.utf8.count + data.count))
            }
            let groupBytes = encoded.reduce(0) { $0 + $1.2 }
            if !chunk.isEmpty && (chunk.count + encoded.count + 2 > Self.maxOps || bytes + groupBytes > Self.maxBytes) {
                try await commit(chunk, serial: chunkSerial)
                chunk = []
                bytes = 0
                touched = [:]
            }
            chunkSerial = written.serial
            for (key, op, size) in encoded {
                // A key twice in one transaction is refused by etcd: the later write wins.
                if let at = touched[key] { chunk[at] = op } else {
                    touched[key] = chunk.count
                    chunk.append(op)
                }
                bytes += size
            }
        }
        if !chunk.isEmpty { try await commit(chunk, serial: chunkSerial) }
    }

    /// `value`'s bytes at `key`, sealed at `serial` when values are sealed: by one sealer for
    /// the journal's lineage, made at the first sealed write.
    private func encode(_ key: String, _ value: JSON, serial: Int) throws -> [UInt8] {
        if sealer == nil, sealing.seals { sealer = try sealing.sealer(lineage: written.lineage) }
        return try EtcdSealing.encode(key, value, serial: serial, sealer: sealer)
    }

    /// Writes `ops` with the meta key, under the fence.
    private func commit(_ ops: [JSON], serial: Int? = nil) async throws {
        var all = ops
        var meta = written
        meta.serial = serial ?? written.serial
        all.append(Etcd.put(keys.meta, JSONWriter(pretty: false).bytes(EtcdKeys.metaJSON(meta))))
        if !metaWritten { all.append(Etcd.put(keys.index, Array(written.blueprint.utf8))) }
        let result = try await client.txn(compare: [lock.fence], success: all, failure: [Etcd.range(keys.lock)])
        guard result.succeeded else { throw lostLock(result.responses) }
        metaWritten = true
    }

    /// The error for a write the fence refused, naming who holds the lock now.
    func lostLock(_ responses: [JSONNode]) -> StateError {
        let holderKV = try? responses.first?.member("response_range").map { try Etcd.kvs($0, url: location) }?.first
        let holder = holderKV.flatMap { EtcdLock.decodeHolder($0.value) }
        let why = lock.lost.map { " (\($0))" } ?? ""
        let now = holder.map { "; it is held now by \($0.who) (pid \($0.pid)) for '\($0.operation)'" } ?? "; nobody holds it now"
        return .conflict(location: location, reason: "this run lost the state's lock\(why)\(now)")
    }

    /// Writes whatever `state` holds that was not written yet (nothing, after an apply; all of
    /// it, for a state moved here), and deletes keys it no longer holds.
    func compact(_ state: State) async throws {
        var ops: [(String, JSON?)] = []
        for (name, app) in state.apps where written.apps[name] != app { ops.append((keys.app(name), app.json)) }
        for name in written.apps.keys where state.apps[name] == nil { ops.append((keys.app(name), nil)) }
        for (name, n) in state.networks where written.networks[name] != n { ops.append((keys.network(name), n.json)) }
        for name in written.networks.keys where state.networks[name] == nil { ops.append((keys.network(name), nil)) }
        for (name, i) in state.infra where written.infra[name] != i { ops.append((keys.infra(name), i.json)) }
        for name in written.infra.keys where state.infra[name] == nil { ops.append((keys.infra(name), nil)) }
        for (id, i) in state.intents where written.intents[id] != i { ops.append((keys.intent(id), i.json)) }
        for id in written.intents.keys where state.intents[id] == nil { ops.append((keys.intent(id), nil)) }
        for (name, r) in state.snapshots where written.snapshots[name] != r { ops.append((keys.snapshot(name), r.json)) }
        for name in written.snapshots.keys where state.snapshots[name] == nil { ops.append((keys.snapshot(name), nil)) }
        if state.sandbox != written.sandbox { ops.append((keys.record, state.sandbox?.json)) }
        let metaChanged = state.serial != written.serial || state.lineage != written.lineage || state.blueprint != written.blueprint || !metaWritten
        guard !ops.isEmpty || metaChanged else { return }
        written = state
        var chunk: [JSON] = []
        var bytes = 0
        for (key, value) in ops {
            let op: JSON, size: Int
            if let value {
                let data = try encode(key, value, serial: state.serial)
                (op, size) = (Etcd.put(key, data), key.utf8.count + data.count)
            } else {
                (op, size) = (Etcd.delete(key), key.utf8.count)
            }
            if !chunk.isEmpty && (chunk.count + 3 > Self.maxOps || bytes + size > Self.maxBytes) {
                try await commit(chunk)
                chunk = []
                bytes = 0
            }
            chunk.append(op)
            bytes += size
        }
        try await commit(chunk)
    }

    /// Writes every value of `state` again, whatever was written before (sealed or in clear as
    /// `sealing` says): `firm state encrypt` and `decrypt`, and completing a key rotation.
    func rewriteAll(_ state: State) async throws {
        written = State(lineage: state.lineage, serial: state.serial, blueprint: state.blueprint)
        try await compact(state)
    }

    func close() async {}
}
