import FirmBase
import FirmModel

/// Collects a plan's actions and their dependencies, then orders them so that every action
/// comes after those it depends on, ties broken by the order they were added (deterministic).
///
/// An action is added after every action it depends on (the ids `add` returned), so the order of
/// adding is nearly always the answer, and no index of ids is kept for it; only
/// `addDependencies` can make an action depend on a later one, and then `sorted()` sorts.
struct PlanBuilder {
    private(set) var actions: [PlannedAction] = []
    /// Whether `addDependencies` made an action depend on one added after it.
    private var forward = false
    #if DEBUG
    /// The ids added so far, to check in tests that `add` is given only earlier ids.
    private var added: Set<String> = []
    #endif

    /// `expected` is about how many actions will be added: room for them is made at once, not by
    /// growing again and again.
    init(expected: Int = 0) {
        actions.reserveCapacity(expected)
    }

    /// Adds an action, which depends only on actions added before it, and returns its id.
    @discardableResult
    mutating func add(_ action: consuming PlannedAction) -> String {
        #if DEBUG
        for d in action.dependsOn { assert(added.contains(d), "\(action.id) depends on \(d), which was not added before it") }
        added.insert(action.id)
        #endif
        let id = action.id
        actions.append(action)
        return id
    }

    /// Makes `id` depend on `dependencies` too, which may have been added after it.
    mutating func addDependencies(_ id: String, on dependencies: [String]) {
        guard let i = actions.lastIndex(where: { $0.id == id }) else { return }
        for d in dependencies where !actions[i].dependsOn.contains(d) && d != id {
            actions[i].dependsOn.append(d)
            forward = true
        }
    }

    /// The actions in dependency order.
    func sorted() -> [PlannedAction] {
        // With every action added after everything it depends on, the order they were added in
        // is the answer (with ties broken by that order, the sort below gives it).
        if !forward { return actions }
        var index: [String: Int] = [:]
        index.reserveCapacity(actions.count)
        for (i, a) in actions.enumerated() { index[a.id] = i }
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
