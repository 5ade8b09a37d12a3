/// Walks a plan's DAG with a task group. An action starts as soon as its dependencies are done
/// and a slot is free; when more actions are ready than slots, the one with the longest chain
/// of work still behind it goes first (critical-path priority). A failed action skips its
/// dependents, never its siblings. There is no barrier between phases.
public struct Executor: Sendable {
    public var parallelism: Int
    public var runner: any ActionRunning
    public var stop: StopFlag

    public init(parallelism: Int, runner: any ActionRunning, stop: StopFlag = StopFlag()) {
        self.parallelism = max(1, parallelism)
        self.runner = runner
        self.stop = stop
    }

    /// Runs every action of `plan`, reporting each start and end through `progress`.
    public func run(_ plan: Plan, progress: @escaping @Sendable (ExecutionEvent) -> Void) async -> ExecutionSummary {
        let graph = ActionGraph(plan.actions)
        let clock = ContinuousClock()
        let start = clock.now
        var summary = ExecutionSummary()
        var remaining = graph.dependencyCounts
        var skipped = Set<Int>()
        var ready = PriorityQueue<Int> { a, b in
            graph.priority[a] != graph.priority[b] ? graph.priority[a] < graph.priority[b] : a > b
        }
        for index in graph.actions.indices where remaining[index] == 0 { ready.push(index) }

        await withTaskGroup(of: [(Int, ActionOutcome)].self) { group in
            var running = 0
            while true {
                while running < parallelism, !stop.isSet, !summary.fatal, let index = ready.pop() {
                    // Connectivity actions of one provider that are ready together go in one call;
                    // nothing waits for more to become ready.
                    var batch = [index]
                    let first = graph.actions[index]
                    if first.type.isConnectivity {
                        batch += ready.removeAll { graph.actions[$0].type.isConnectivity && graph.actions[$0].provider == first.provider }.sorted()
                    }
                    let actions = batch.map { graph.actions[$0] }
                    for action in actions { progress(ExecutionEvent(action: action, kind: .started, elapsed: clock.now - start)) }
                    running += 1
                    group.addTask {
                        if !first.type.isConnectivity { return [(index, await runner.run(first))] }
                        return Array(zip(batch, await runner.runBatch(actions)))
                    }
                }
                guard let results = await group.next() else { break }
                running -= 1
                for (index, outcome) in results {
                    let action = graph.actions[index]
                    switch outcome {
                    case .succeeded(let detail):
                        summary.done.append(action.id)
                        progress(ExecutionEvent(action: action, kind: .succeeded(detail), elapsed: clock.now - start))
                        for child in graph.dependents[index] where !skipped.contains(child) {
                            remaining[child] -= 1
                            if remaining[child] == 0 { ready.push(child) }
                        }
                    case .failed(let message, let fatal, let kind):
                        summary.failed.append((action.id, message))
                        summary.failureKinds[action.id] = kind
                        if fatal { summary.fatal = true }
                        progress(ExecutionEvent(action: action, kind: .failed(message), elapsed: clock.now - start))
                        for victim in graph.transitiveDependents(of: index) where skipped.insert(victim).inserted {
                            summary.skipped.append(graph.actions[victim].id)
                            progress(ExecutionEvent(action: graph.actions[victim], kind: .skipped(because: action.id), elapsed: clock.now - start))
                        }
                    }
                }
            }
        }
        let finished = Set(summary.done + summary.failed.map(\.0) + summary.skipped)
        summary.notStarted = graph.actions.map(\.id).filter { !finished.contains($0) }
        summary.elapsed = clock.now - start
        return summary
    }
}

/// The plan's actions as a graph with indices, dependents and critical-path priorities.
struct ActionGraph {
    let actions: [PlannedAction]
    let dependents: [[Int]]
    let dependencyCounts: [Int]
    /// The estimated work on the longest chain starting at each action, itself included.
    let priority: [Int]

    init(_ actions: [PlannedAction]) {
        self.actions = actions
        var indexOf: [String: Int] = [:]
        for (i, a) in actions.enumerated() { indexOf[a.id] = i }
        var dependents = [[Int]](repeating: [], count: actions.count)
        var counts = [Int](repeating: 0, count: actions.count)
        for (i, a) in actions.enumerated() {
            for dep in a.dependsOn {
                guard let d = indexOf[dep] else { continue }
                dependents[d].append(i)
                counts[i] += 1
            }
        }
        self.dependents = dependents
        self.dependencyCounts = counts
        // Actions are in dependency order, so one pass from the end sees every child first.
        var priority = [Int](repeating: 0, count: actions.count)
        for i in actions.indices.reversed() {
            priority[i] = Self.weight(actions[i].type) + (dependents[i].map { priority[$0] }.max() ?? 0)
        }
        self.priority = priority
    }

    /// A rough relative cost per action type, for ordering only.
    static func weight(_ type: ActionType) -> Int {
        switch type {
        case .replace: 8
        case .deploy: 5
        case .delete: 3
        case .prepareInfra: 4
        case .cleanInfra: 2
        case .powerOn, .powerOff, .refreshIP, .connect, .disconnect: 1
        }
    }

    func transitiveDependents(of index: Int) -> [Int] {
        var seen = Set<Int>()
        var stack = dependents[index]
        var order: [Int] = []
        while let next = stack.popLast() {
            guard seen.insert(next).inserted else { continue }
            order.append(next)
            stack.append(contentsOf: dependents[next])
        }
        return order.sorted()
    }
}

/// One line of progress.
public struct ExecutionEvent: Sendable {
    public enum Kind: Sendable {
        case started
        case succeeded(String)
        case failed(String)
        /// A retryable failure; the action is tried again after `delay`.
        case retrying(attempt: Int, of: Int, delay: Duration, message: String)
        case skipped(because: String)
    }

    public var action: PlannedAction
    public var kind: Kind
    public var elapsed: Duration
}

/// What an apply did.
public struct ExecutionSummary: Sendable {
    public var done: [String] = []
    public var failed: [(String, String)] = []
    /// The kind of each failure, by action id.
    public var failureKinds: [String: FailureKind] = [:]
    public var skipped: [String] = []
    /// Actions never started because the run was stopped.
    public var notStarted: [String] = []
    /// Set when the state could not be recorded: nothing more is started.
    public var fatal = false
    public var elapsed: Duration = .zero
    /// Set when the results could not be compacted into a new snapshot afterwards; they are
    /// safe in the journal.
    public var saveError: String?

    /// Every action ran and succeeded.
    public var actionsSucceeded: Bool { failed.isEmpty && skipped.isEmpty && notStarted.isEmpty }
    /// Every action succeeded and the state was compacted afterwards.
    public var succeeded: Bool { actionsSucceeded && saveError == nil }
}

/// What running one action came to.
public enum ActionOutcome: Sendable {
    case succeeded(String)
    /// `fatal` when the state itself could not be written.
    /// `kind` says whether the provider's failure was retryable (retries were used up) or
    /// terminal.
    case failed(String, fatal: Bool, kind: FailureKind = .terminal)
}

/// Set by a signal handler: start nothing more, let what runs finish.
public final class StopFlag: @unchecked Sendable {
    private let lock = NSLockBox()
    private var value = false

    public init() {}

    public var isSet: Bool { lock.withLock { value } }
    public func set() { lock.withLock { value = true } }
}
