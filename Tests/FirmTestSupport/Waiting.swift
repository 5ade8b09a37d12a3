import Foundation

/// Waits until `condition` holds, checking every 10 ms, for at most `limit` (a bound for a
/// loaded machine, never a timing assertion). Returns whether it held.
/// It sleeps the thread rather than the task: the end-to-end tests block the cooperative pool's
/// few threads while their children run, and a task sleep could wake seconds late. For a
/// condition that other tasks of this process make true, use `eventually`.
@discardableResult
package func waitUntil(_ limit: Duration = .seconds(20), _ condition: () -> Bool) -> Bool {
    let deadline = ContinuousClock.now + limit
    while !condition() {
        if ContinuousClock.now >= deadline { return false }
        usleep(10_000)
    }
    return true
}

/// Waits until `condition` holds, checking every 5 ms, for at most `limit` of checks (a bound
/// for a hang, never a timing assertion). Returns whether it held.
/// It suspends the task between checks, so that the tasks that make the condition true can
/// run: the way to wait on this process's own concurrent work. The bound counts checks, not
/// the clock: when the cooperative pool is starved (the end-to-end tests block its threads
/// while their children run), a task can wait seconds to be scheduled, and so can the work it
/// waits for; only checks that ran count.
@discardableResult
package func eventually(_ limit: Duration = .seconds(20), _ condition: () async -> Bool) async -> Bool {
    let interval = Duration.milliseconds(5)
    for _ in 0..<max(1, Int(limit / interval)) {
        if await condition() { return true }
        try? await Task.sleep(for: interval)
    }
    return await condition()
}
