/// Collects a plan's actions and their dependencies, then orders them so that every action
/// comes after those it depends on, ties broken by the order they were added (deterministic).
struct PlanBuilder {
    private(set) var actions: [PlannedAction] = []
    private var index: [String: Int] = [:]

    /// `expected` is about how many actions will be added: room for them is made at once, not by
    /// growing (and rehashing) again and again.
    init(expected: Int = 0) {
        actions.reserveCapacity(expected)
        index.reserveCapacity(expected)
    }

    /// Adds an action and returns its id.
    @discardableResult
    mutating func add(_ action: PlannedAction) -> String {
        index[action.id] = actions.count
        actions.append(action)
        return action.id
    }

    /// Makes `id` depend on `dependencies` too.
    mutating func addDependencies(_ id: String, on dependencies: [String]) {
        guard let i = index[id] else { return }
        for d in dependencies where !actions[i].dependsOn.contains(d) && d != id { actions[i].dependsOn.append(d) }
    }

    /// The actions in dependency order.
    func sorted() -> [PlannedAction] {
        // Actions are nearly always added after everything they depend on; then the order they
        // were added in is the answer (with ties broken by that order, the sort below gives it).
        let backward = actions.indices.allSatisfy { i in actions[i].dependsOn.allSatisfy { d in index[d].map { $0 < i } ?? true } }
        if backward { return actions }
        var remaining = [Int](repeating: 0, count: actions.count)
        var dependents = [[Int]](repeating: [], count: actions.count)
        var seen: [Int] = []
        for (i, a) in actions.enumerated() {
            seen.removeAll(keepingCapacity: true)
            for d in a.dependsOn {
                guard let j = index[d], !seen.contains(j) else { continue }
                seen.append(j)
                dependents[j].append(i)
                remaining[i] += 1
            }
        }
        var ready = PriorityQueue<Int>(by: >)
        for i in actions.indices where remaining[i] == 0 { ready.push(i) }
        var order: [PlannedAction] = []
        while let i = ready.pop() {
            order.append(actions[i])
            for j in dependents[i] {
                remaining[j] -= 1
                if remaining[j] == 0 { ready.push(j) }
            }
        }
        precondition(order.count == actions.count, "the plan has a dependency cycle")
        return order
    }
}
