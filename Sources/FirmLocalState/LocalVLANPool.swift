import Foundation
import FirmBase
import FirmModel

/// The VLAN pool of a local state folder: `vlan-pool.json` beside the states, changed under an
/// open-file-description lock on `vlan-pool.json.lock` and written atomically. The file is read
/// and written (with its fsyncs) on a queue of its own, off Swift's cooperative pool.
extension LocalStateBackend {
    /// The pool's files, beside the state.
    var poolPaths: StatePaths { StatePaths(snapshot: paths.directory + "/vlan-pool.json") }

    public func readVLANPool() async throws -> VLANPool {
        let file = poolPaths.snapshot
        return try await DispatchQueue(label: "firmament.vlan-pool").perform { try Self.readPool(file) }
    }

    public func updateVLANPool<T: Sendable>(_ change: @Sendable (inout VLANPool) throws -> T) async throws -> T {
        let pool = poolPaths
        let lock = try await StateLock.acquire(pool, operation: "vlan pool", timeout: .seconds(60))
        defer { lock.release() }
        let io = DispatchQueue(label: "firmament.vlan-pool")
        var value = try await io.perform { try Self.readPool(pool.snapshot) }
        let before = value
        let result = try change(&value)
        if value != before {
            let bytes = JSONWriter(pretty: true).bytes(value.json)
            try await io.perform { try FileIO.atomicWrite(bytes, to: pool.snapshot) }
        }
        return result
    }

    static func readPool(_ file: String) throws -> VLANPool {
        guard let bytes = try FileIO.read(file, limit: 64 << 20) else { return VLANPool() }
        let node: JSONNode
        do { node = try JSONReader.parse(bytes) } catch {
            throw StateError.corrupt(location: file, reason: "\(error.position): \(error.message) (move the file away; the next apply of each sandbox writes its VLANs again)")
        }
        var context = DecodingContext(file: file)
        guard let pool = VLANPool.decode(node, &context), context.diagnostics.isEmpty else {
            throw StateError.corrupt(location: file, reason: context.diagnostics.map(\.description).joined(separator: "\n  ")
                + "\n(move the file away; the next apply of each sandbox writes its VLANs again)")
        }
        return pool
    }
}
