import Synchronization
import FirmBase
import FirmModel
import FirmPlanning
import FirmExecution

/// A read-only load of the state started while the blueprint is still being checked, on the
/// other core: for commands that read the state without its lock (`plan`, `drift`). The state's
/// place needs only the sandbox's name, which is known once the blueprint has parsed.
///
/// It is handed out once: the first settle uses it, and any later one loads afresh, so a session
/// never plans twice from one early read.
final class StateReadAhead: Sendable {
    /// The sandbox the load was started for; used only when the checked blueprint agrees.
    let sandbox: String
    let backend: any StateBackend
    private let task: Mutex<Task<LoadedState, any Error>?>

    init(sandbox: String, blueprint: String, backend: any StateBackend) {
        self.sandbox = sandbox
        self.backend = backend
        task = Mutex(Task.detached { try await backend.load(blueprint: blueprint, writer: false) })
    }

    /// The load's task, the first time only.
    func take() -> Task<LoadedState, any Error>? {
        task.withLock { t in
            defer { t = nil }
            return t
        }
    }

    /// Drops a load that will not be used.
    func cancel() {
        take()?.cancel()
    }

    /// Starts the load when the blueprint's raw name gives a sandbox and a state place; nil when
    /// it can't (the blueprint's checks will say why).
    static func start(root: JSONNode, sandbox given: String?, statePath: String?, home: String, components: Components) -> StateReadAhead? {
        guard let node = root.member("name"), case .string(let name) = node.kind, Name.isValid(name),
            let sandbox = try? SandboxHome.sandbox(given, blueprint: name),
            let backend = try? components.openState(statePath, sandbox: sandbox, home: home)
        else { return nil }
        return StateReadAhead(sandbox: sandbox, blueprint: name, backend: backend)
    }
}
