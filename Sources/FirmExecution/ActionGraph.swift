import FirmBase
import FirmModel
import FirmPlanning

/// The plan's actions as a graph with indices, dependents and critical-path priorities.
struct ActionGraph {
    let actions: [PlannedAction]
    let dependents: [[Int]]
    let dependencyCounts: [Int]
    /// The expected work (µs, ActionCosts) on the longest chain starting at each action, itself included.
    let priority: [Int]

    init(_ actions: [PlannedAction], costs: ActionCosts = ActionCosts()) {
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
            priority[i] = costs.cost(actions[i]) + (dependents[i].map { priority[$0] }.max() ?? 0)
        }
        self.priority = priority
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

/// The chain of actions with the most expected work, the one that sets the plan's least
/// possible duration: what the executor starts first, and what `firm graph` marks.
public enum CriticalPath {
    /// The ids of the chain, first to last; empty for an empty plan.
    public static func ids(_ actions: [PlannedAction], costs: ActionCosts = ActionCosts()) -> [String] {
        let graph = ActionGraph(actions, costs: costs)
        guard var here = actions.indices.filter({ graph.dependencyCounts[$0] == 0 }).max(by: { graph.priority[$0] < graph.priority[$1] }) else { return [] }
        var chain = [actions[here].id]
        while let next = graph.dependents[here].max(by: { graph.priority[$0] < graph.priority[$1] }) {
            chain.append(actions[next].id)
            here = next
        }
        return chain
    }
}
