import FirmBase
import FirmModel

/// `firm state encrypt` and `decrypt` on etcd: every value of the sandbox is written again,
/// sealed with the key set or in clear, by the journal's compaction with nothing taken as
/// already written, fenced on the lock like every write.
extension EtcdStateBackend {
    public var canSeal: Bool { sealing.seals }

    /// Each app, network, infrastructure, intent, snapshot and sandbox-record value (the meta key and the
    /// lock are never sealed).
    public func storedForm() async throws -> StoredForm {
        var form = StoredForm()
        for kv in try await client.rangeAll(prefix: keys.root).kvs {
            switch keys.item(kv.key) {
            case .meta, .lock, nil: continue
            case .record, .app, .network, .infra, .intent, .snapshot: sealing.tally(kv.value, into: &form)
            }
        }
        return form
    }

    public func rewriteAll(_ loaded: LoadedState, as form: AtRest, under lease: any StateLease) async throws -> String? {
        guard let lock = lease as? EtcdLock else { throw StateError.io(location: display, reason: "rewritten without its lock (a bug in firm)") }
        let writing = form == .clear ? EtcdSealing(keys: nil, sandbox: sandbox, address: client.address) : sealing
        let journal = EtcdJournal(client: client, keys: keys, lock: lock, loaded: loaded, location: display, sealing: writing)
        try await journal.rewriteAll(loaded.state)
        let revision = try await client.rangeAll(prefix: keys.meta, keysOnly: true).revision
        let was = form == .clear ? "sealed" : "in clear"
        return "etcd keeps each key's earlier revisions, the values \(was) among them, until it is compacted: "
            + "`etcdctl compact \(revision)` drops them (and `etcdctl defrag` frees their space); snapshots of etcd taken before still hold them."
    }

    public func withoutKeys() -> any StateBackend {
        var copy = self
        copy.sealing = EtcdSealing(keys: nil, sandbox: sandbox, address: client.address)
        return copy
    }
}
