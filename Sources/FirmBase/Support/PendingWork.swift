import Synchronization

/// Work started by a call that had to return at once, such as a lock's release over the
/// network; `firm` waits for it, briefly, before it exits.
public final class PendingWork: Sendable {
    public static let shared = PendingWork()
    private let tasks = Mutex<[Task<Void, Never>]>([])

    package func add(_ task: Task<Void, Never>) {
        tasks.withLock { $0.append(task) }
    }

    /// Waits for everything added so far, at most `limit`.
    public func drain(within limit: Duration) async {
        let pending = tasks.withLock { tasks in
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
