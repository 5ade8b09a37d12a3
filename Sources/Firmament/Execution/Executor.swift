/// Walks a plan's DAG with a task group. An action starts as soon as its dependencies are done
/// and a slot is free; when more actions are ready than slots, the one with the longest chain
/// of work still behind it goes first (critical-path priority). A failed action skips its
/// dependents, never its siblings. There is no barrier between phases.
public struct Executor: Sendable {
    public var parallelism: Int
    public var runner: any ActionRunning
    public var stop: StopFlag
    /// What each action is expected to take, for the critical path.
    public var costs: ActionCosts
    public var order: ExecutionOrder

    public init(parallelism: Int, runner: any ActionRunning, stop: StopFlag = StopFlag(), costs: ActionCosts = ActionCosts(), order: ExecutionOrder = .criticalPath) {
        self.parallelism = max(1, parallelism)
        self.runner = runner
        self.stop = stop
        self.costs = costs
        self.order = order
    }

    /// Runs every action of `plan`, reporting each start and end through `progress`.
    public func run(_ plan: Plan, progress: @escaping @Sendable (ExecutionEvent) -> Void) async -> ExecutionSummary {
        let graph = ActionGraph(plan.actions, costs: costs)
        let fifo = order == .fifo
        var readySince = [Int](repeating: 0, count: plan.actions.count)
        var tick = 0
        let clock = ContinuousClock()
        let start = clock.now
        var summary = ExecutionSummary()
        var remaining = graph.dependencyCounts
        var skipped = Set<Int>()
        var ready = PriorityQueue<Int> { a, b in
            if fifo { return readySince[a] != readySince[b] ? readySince[a] > readySince[b] : a > b }
            return graph.priority[a] != graph.priority[b] ? graph.priority[a] < graph.priority[b] : a > b
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
                            if remaining[child] == 0 {
                                tick += 1
                                readySince[child] = tick
                                ready.push(child)
                            }
                        }
                    case .failed(let message, let fatal, let kind):
                        summary.failed.append((action.id, message, kind))
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
