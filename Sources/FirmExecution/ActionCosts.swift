import FirmBase
import FirmModel
import FirmPlanning

/// What the executor expects each action to take, for ordering only: the critical path is the
/// chain of work with the largest sum of these. Providers whose type expects a latency (the
/// simulated cloud's `latency` settings) give their means; for the others each action type has
/// a rough relative weight, counted as 10 ms a unit.
public struct ActionCosts: Sendable {
    /// Expected microseconds, by provider and operation.
    var expected: [String: [ProviderOperation: Int]]

    public init(expected: [String: [ProviderOperation: Int]] = [:]) {
        self.expected = expected
    }

    /// From the blueprint's providers: the latencies their types expect (the simulated cloud's
    /// `latency` settings).
    public init(_ blueprint: Blueprint) {
        self.expected = blueprint.providers.compactMapValues { $0.traits.expectedMicroseconds.isEmpty ? nil : $0.traits.expectedMicroseconds }
    }

    /// The expected cost of `action` in microseconds.
    func cost(_ action: PlannedAction) -> Int {
        let mine = expected[action.provider] ?? [:]
        func op(_ o: ProviderOperation, _ type: ActionType) -> Int { mine[o] ?? Self.weight(type) * 10_000 }
        switch action.type {
        case .deploy: return op(.deploy, .deploy)
        case .replace: return mine[.delete].map { $0 + (mine[.deploy] ?? 0) } ?? Self.weight(.replace) * 10_000
        case .delete: return op(.delete, .delete)
        case .powerOn: return op(.powerOn, .powerOn)
        case .powerOff: return op(.powerOff, .powerOff)
        case .refreshIP: return op(.refreshIP, .refreshIP)
        case .connect, .disconnect: return op(.applyConnectivityChanges, action.type)
        case .prepareInfra: return op(.prepareSandboxInfra, .prepareInfra)
        case .cleanInfra: return op(.cleanSandboxInfra, .cleanInfra)
        }
    }

    /// A rough relative cost per action type.
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
}

/// Which ready action the executor starts first when more are ready than slots.
public enum ExecutionOrder: Sendable {
    /// The one with the most expected work still behind it (the default).
    case criticalPath
    /// The one that became ready first, in plan order: only for firm-bench's comparison.
    case fifo
}
