import FirmBase
import FirmModel

/// The VLAN pool of every sandbox under an etcd prefix: one key, `PREFIX/_vlan-pool`, changed
/// by compare-and-swap on its mod revision (tried again when another sandbox changed it first),
/// so no lock is needed and two applies never take the same id.
extension EtcdStateBackend {
    public func readVLANPool() async throws -> VLANPool {
        try decodePool(try await client.get(keys.pool))
    }

    public func updateVLANPool<T: Sendable>(_ change: @Sendable (inout VLANPool) throws -> T) async throws -> T {
        for _ in 0..<50 {
            let kv = try await client.get(keys.pool)
            var pool = try decodePool(kv)
            let before = pool
            let result = try change(&pool)
            if pool == before { return result }
            let compare = kv.map { Etcd.modified(keys.pool, $0.modRevision) } ?? Etcd.created(keys.pool, 0)
            let written = try await client.txn(compare: [compare], success: [Etcd.put(keys.pool, JSONWriter(pretty: false).bytes(pool.json))])
            if written.succeeded { return result }
            try await Task.sleep(for: .milliseconds(Int.random(in: 5...50)))
        }
        throw StateError.conflict(location: client.address.location(of: keys.pool), reason: "the VLAN pool kept changing under 50 tries")
    }

    func decodePool(_ kv: EtcdKV?) throws -> VLANPool {
        guard let kv else { return VLANPool() }
        let file = client.address.location(of: kv.key)
        let advice = "(delete the key with etcdctl; the next apply of each sandbox writes its VLANs again)"
        let node: JSONNode
        do { node = try JSONReader.parse(kv.value) } catch {
            throw StateError.corrupt(location: file, reason: "\(error.position): \(error.message) \(advice)")
        }
        var context = DecodingContext(file: file)
        guard let pool = VLANPool.decode(node, &context), context.diagnostics.isEmpty else {
            throw StateError.corrupt(location: file, reason: context.diagnostics.map(\.description).joined(separator: "\n  ") + "\n" + advice)
        }
        return pool
    }
}
