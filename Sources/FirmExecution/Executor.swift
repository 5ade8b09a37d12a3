import FirmBase
import FirmModel
import FirmPlanning

/// Walks a plan's DAG with a task group. An action starts as soon as its dependencies are done,
/// their results durable, and a slot is free; when more actions are ready than slots, the one
/// with the longest chain of work still behind it goes first (critical-path priority). An action
/// holds its slot until its runner returns: for an outcome `.recorded`, once the provider call
/// is over and its records are handed to the journal, not until they are durable. A failed
/// action skips its dependents, never its siblings. There is no barrier between phases.
public struct Executor: Sendable {
    public var parallelism: Int
    public var runner: any ActionRunning
    public var stop: StopFlag
    /// What each action is expected to take, for the critical path.
    public var costs: ActionCosts
    public var order: ExecutionOrder
    /// Slots shared with other executors (a reconcile replica's concurrent cycles): each action,
    /// or batch, also holds one of this gate's slots while it runs.
    public var shared: ProviderGate?

    public init(parallelism: Int, runner: any ActionRunning, stop: StopFlag = StopFlag(), costs: ActionCosts = ActionCosts(), order: ExecutionOrder = .criticalPath,
                shared: ProviderGate? = nil) {
        self.shared = shared
        self.parallelism = max(1, parallelism)
        self.runner = runner
        self.stop = stop
        self.costs = costs
        self.order = order
    }

    /// Runs every action of `plan`, reporting each start and end through `progress`.
    /// `roundEnd` is called after each round of outcomes has been reported and before any new
    /// action starts: a sink that holds end lines to write them together writes them there, and a
    /// stop it sets there (a closed stdout) is seen before anything new starts.
    public func run(_ plan: Plan, progress: @escaping @Sendable (ExecutionEvent) -> Void,
                    roundEnd: @escaping @Sendable () -> Void = {}) async -> ExecutionSummary {
        let graph = ActionGraph(plan.actions, costs: costs)
        let fifo = order == .fifo
        var tick = 0
        let clock = ContinuousClock()
        let start = clock.now
        var summary = ExecutionSummary()
        var remaining = graph.dependencyCounts
        var skipped = Set<Int>()
        // Each ready action carries its rank, so ordering the heap reads nothing else.
        var ready = PriorityQueue<ReadyAction>(by: <)
        func makeReady(_ index: Int) {
            tick += 1
            ready.push(ReadyAction(rank: fifo ? -tick : graph.priority[index], index: index))
        }
        for index in graph.actions.indices where remaining[index] == 0 { makeReady(index) }

        // Outcomes `.recorded` wait here for their records to be durable: their slots are free,
        // their dependents and their "done" wait. One watcher in the group waits for the
        // lowest serial among them; when it wakes, it releases every outcome the journal has
        // made durable by then (a group commit releases several at once).
        let durability = runner.durability
        let shared = self.shared
        var awaiting: [(index: Int, detail: String, serial: Int)] = []
        var watching = false

        await withTaskGroup(of: Finished.self) { group in
            var running = 0

            func succeed(_ index: Int, _ detail: String) {
                let action = graph.actions[index]
                summary.done.append(action.id)
                progress(ExecutionEvent(action: action, kind: .succeeded(detail), elapsed: clock.now - start))
                for child in graph.dependents[index] where !skipped.contains(child) {
                    remaining[child] -= 1
                    if remaining[child] == 0 { makeReady(child) }
                }
            }

            func fail(_ index: Int, _ failure: ActionFailure) {
                let action = graph.actions[index]
                summary.failed.append(FailedAction(id: action.id, failure: failure))
                if failure.isFatal { summary.fatal = true }
                progress(ExecutionEvent(action: action, kind: .failed(failure), elapsed: clock.now - start))
                for victim in graph.transitiveDependents(of: index) where skipped.insert(victim).inserted {
                    summary.skipped.append(graph.actions[victim].id)
                    progress(ExecutionEvent(action: graph.actions[victim], kind: .skipped(because: action.id), elapsed: clock.now - start))
                }
            }

            func unrecorded(_ index: Int, _ error: any Error) {
                fail(index, ActionFailure(error))
            }

            func finish(_ index: Int, _ outcome: ActionOutcome) {
                switch outcome {
                case .succeeded(let detail):
                    succeed(index, detail)
                case .recorded(let detail, let serial):
                    do {
                        if try durability?.isDurable(serial) ?? true {
                            succeed(index, detail)
                        } else {
                            awaiting.append((index, detail, serial))
                            progress(ExecutionEvent(action: graph.actions[index], kind: .awaitingDurability, elapsed: clock.now - start))
                        }
                    } catch {
                        unrecorded(index, error)
                    }
                case .failed(let failure):
                    fail(index, failure)
                }
            }

            while true {
                while running < parallelism, !stop.isSet, !summary.fatal, let index = ready.pop()?.index {
                    let first = graph.actions[index]
                    running += 1
                    guard first.type.isConnectivity else {
                        progress(ExecutionEvent(action: first, kind: .started, elapsed: clock.now - start))
                        group.addTask {
                            guard await Self.take(shared) else { return .one(index, .failed(ActionFailure(CancellationError()))) }
                            defer { shared?.leave() }
                            return .one(index, await runner.run(first))
                        }
                        continue
                    }
                    // Connectivity actions of one provider that are ready together go in one call;
                    // nothing waits for more to become ready.
                    let batch = [index] + ready.removeAll { graph.actions[$0.index].type.isConnectivity && graph.actions[$0.index].provider == first.provider }.map(\.index).sorted()
                    let actions = batch.map { graph.actions[$0] }
                    for action in actions { progress(ExecutionEvent(action: action, kind: .started, elapsed: clock.now - start)) }
                    group.addTask {
                        guard await Self.take(shared) else { return .actions(batch.map { ($0, .failed(ActionFailure(CancellationError()))) }) }
                        defer { shared?.leave() }
                        return .actions(Array(zip(batch, await runner.runBatch(actions))))
                    }
                }
                guard let finished = await group.next() else { break }
                switch finished {
                case .one(let index, let outcome):
                    running -= 1
                    finish(index, outcome)
                case .actions(let results):
                    running -= 1
                    for (index, outcome) in results { finish(index, outcome) }
                case .durable(let result):
                    watching = false
                    let waiting = awaiting
                    switch result {
                    case .success(let durable):
                        awaiting.removeAll { $0.serial <= durable }
                        for a in waiting where a.serial <= durable { succeed(a.index, a.detail) }
                    case .failure(let error):
                        awaiting = []
                        for a in waiting { unrecorded(a.index, error) }
                    }
                }
                roundEnd()
                if !watching, let durability, let lowest = awaiting.lazy.map(\.serial).min() {
                    watching = true
                    group.addTask {
                        do { return .durable(.success(try await durability.wait(for: lowest))) } catch { return .durable(.failure(error)) }
                    }
                }
            }
        }
        let finished = Set(summary.done + summary.failed.map(\.id) + summary.skipped)
        summary.notStarted = graph.actions.map(\.id).filter { !finished.contains($0) }
        summary.elapsed = clock.now - start
        return summary
    }
}

extension Executor {
    /// Takes a shared slot, when there are shared slots; false when cancelled while waiting.
    static func take(_ shared: ProviderGate?) async -> Bool {
        guard let shared else { return true }
        do {
            try await shared.enter()
            return true
        } catch {
            return false
        }
    }
}

/// What a child task of the executor's group hands back: the outcome of the action it ran,
/// those of a batch, or how far the journal has become durable.
private enum Finished: Sendable {
    case one(Int, ActionOutcome)
    case actions([(Int, ActionOutcome)])
    case durable(Result<Int, any Error>)
}

/// An action ready to start, with the rank the heap orders it by: its critical-path priority,
/// or, in FIFO order, minus the tick at which it became ready. Ties go to the lower index.
private struct ReadyAction: Comparable {
    let rank: Int
    let index: Int

    static func < (a: ReadyAction, b: ReadyAction) -> Bool {
        a.rank != b.rank ? a.rank < b.rank : a.index > b.index
    }
}
