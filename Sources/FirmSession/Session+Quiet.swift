import FirmBase
import FirmModel
import FirmPlanning

/// A reconcile cycle's first look, without the lock: most cycles find the world as the state
/// says and nothing to do, and such a cycle needs neither the lock nor a single write.
extension Session {
    /// Whether a locked cycle would write nothing and do nothing, from the state read without
    /// the lock: it exists and is whole (no journal records past the snapshot, no warnings), no
    /// other firm holds its lock, it has no intents, a refresh changes nothing, the sandbox's
    /// record and this sandbox's VLANs in the pool are as the cycle would write them, and the
    /// plan is empty. Any doubt says no, and the caller runs the cycle under the lock.
    public func isQuiet(parallelism: Int) async throws -> Bool {
        let settled = try await settle(refresh: true, parallelism: parallelism)
        let loaded = settled.loaded
        guard loaded.existed, !loaded.journalHasRecords, loaded.warnings.isEmpty, settled.running == nil, settled.findings.isEmpty,
              loaded.state.intents.isEmpty, settled.refreshed == loaded.state,
              let record = loaded.state.sandbox, sandboxRecord(updating: record, now: record.created) == record
        else { return false }
        let state = settled.refreshed
        guard !l2Providers.isEmpty else { return !(try await plan(for: state, destroying: false)).hasChanges }
        let pool = try await backend.readVLANPool()
        var after = pool
        let (plan, topology) = try reserve(in: &after, state, capabilities: try await capabilities(for: state), saved: nil)
        return after == pool && Self.vlanRecords(topology, state).isEmpty && !plan.hasChanges
    }
}
