import FirmModel

extension Session {
    /// Refuses a state that isn't there, for the commands that read one (show, destroy, drift,
    /// refresh): a missing state is never read as an empty one. plan and apply start from an
    /// empty state instead, and say where the new one will be (`newStateNote`).
    public func requireExisting(_ loaded: LoadedState) throws(SandboxError) {
        if !loaded.existed { throw .noState(location: backend.location, sandbox: sandbox) }
    }

    /// The line plan and apply print when the sandbox has no state yet, or nil when it has one.
    public func newStateNote(_ loaded: LoadedState, applying: Bool) -> String? {
        guard !loaded.existed else { return nil }
        return applying
            ? "sandbox \(sandbox) has no state yet; this apply starts it at \(backend.location)"
            : "sandbox \(sandbox) has no state yet at \(backend.location); the plan starts from an empty one"
    }
}
