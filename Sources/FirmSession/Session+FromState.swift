import FirmBase
import FirmModel
import FirmPlanning
import FirmExecution

extension Session {
    /// A session for a sandbox known only by its state: its providers as the state recorded them
    /// at the last apply (secrets as `{"env"}` references, read from the environment as usual),
    /// and no apps, so that it can be destroyed (or garbage-collected) after the blueprint file
    /// changed or went away. Relative provider paths are resolved from the home the state
    /// recorded, as they were at the apply.
    public static func fromState(_ backend: any StateBackend, sandbox: String, components: Components,
                                 driverLog: (@Sendable (String) -> Void)? = nil) async throws -> Session {
        let loaded = try await backend.load(blueprint: nil, writer: false)
        guard loaded.existed else { throw SandboxError.noState(location: backend.location, sandbox: sandbox) }
        let state = loaded.state
        guard let record = state.sandbox, !state.blueprint.isEmpty else { throw SandboxError.noRecord(state: backend.location) }
        let document: JSON = ["version": 1, "name": .string(state.blueprint), "providers": record.providers, "apps": .object(JSONObject())]
        let blueprint = try BlueprintDecoder.decode(Array(document.compactText.utf8), file: "\(backend.location) (sandbox.providers)", types: components.providerTypes)
        return try Session(blueprint: blueprint, blueprintFile: record.blueprintFile, backend: backend, components: components,
                           baseDirectory: record.home, sandbox: sandbox,
                           driverLog: driverLog)
    }

    /// Destroys everything the state records, without asking: locked, recovered, refreshed,
    /// planned and run, as `firm destroy --auto-approve` does. The lock is released on return.
    public func destroyEverything(operation: String, lockTimeout: Duration?, parallelism: Int, stop: StopFlag,
                                  progress: @escaping @Sendable (ExecutionEvent) -> Void) async throws -> ExecutionSummary {
        let settled = try await lockAndSettle(operation: operation, lockTimeout: lockTimeout, refresh: true, parallelism: parallelism)
        defer { settled.lock.release() }
        let (plan, locked) = try await planAndReserve(settled, destroying: true, saved: nil)
        let writable = try await begin(locked)
        guard plan.hasChanges else {
            try await finish(writable, blueprint: emptied)
            await writable.recorder.close()
            return ExecutionSummary()
        }
        return try await execute(plan, on: writable, blueprintForRun: emptied, parallelism: parallelism, stop: stop, progress: progress)
    }
}
