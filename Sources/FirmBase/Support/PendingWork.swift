/// Work started by a call that had to return at once, such as a lock's release over the
/// network; `firm` waits for it, briefly, before it exits.
public final class PendingWork: @unchecked Sendable {
    public static let shared = PendingWork()
    private let box = NSLockBox()
    private var tasks: [Task<Void, Never>] = []

    package func add(_ task: Task<Void, Never>) {
        box.withLock { tasks.append(task) }
    }

    /// Waits for everything added so far, at most `limit`.
    public func drain(within limit: Duration) async {
        let pending = box.withLock { () -> [Task<Void, Never>] in
            defer { tasks = [] }
            return tasks
        }
        guard !pending.isEmpty else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { for task in pending { await task.value } }
            group.addTask { try? await Task.sleep(for: limit) }
            await group.next()
            group.cancelAll()
        }
    }
}
