import Foundation
import FirmBase
import FirmModel

extension EtcdStateBackend {
    /// Deletes every key of the sandbox but the lock, and its index key, fenced on the lock.
    public func discard(under lease: any StateLease) async throws -> String? {
        guard let lock = lease as? EtcdLock else { throw StateError.io(location: display, reason: "discarded without its lock (a bug in firm)") }
        let result = try await client.txn(compare: [lock.fence],
                                          success: [["request_delete_range": ["key": Etcd.key(keys.root), "range_end": Etcd.key(keys.lock)]],
                                                    ["request_delete_range": ["key": Etcd.key(keys.lock + "\u{0}"), "range_end": Etcd.key(Etcd.rangeEnd(keys.root))]],
                                                    Etcd.delete(keys.index)])
        guard result.succeeded else { throw StateError.conflict(location: display, reason: "this run lost the state's lock") }
        return nil
    }
}
