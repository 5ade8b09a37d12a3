import FirmBase
import FirmModel

/// A DAG of actions computed from (blueprint, state), with a reason for each. Deterministic: the
/// same inputs give the same plan, byte for byte once rendered as JSON.
public struct Plan: Sendable, Equatable {
    public static let formatVersion = 2

    public var blueprintName: String
    /// The blueprint file as the user named it (plan output shows it this way).
    public var blueprintFile: String
    public var blueprintDigest: String
    public var lineage: String
    public var serial: Int
    /// Where the state was when the plan was made, and where the blueprint was, both absolute,
    /// so that `firm apply PLANFILE` from another folder still finds them (nil until saved).
    public var location: PlanLocation?
    /// In dependency order: every action comes after the actions it depends on.
    public var actions: [PlannedAction]
    /// What the plan leaves as it is, and why (a subnet a driver can't clean up alone). Shown
    /// with the plan; not saved in plan files.
    public var notes: [String] = []

    public init(blueprintName: String, blueprintFile: String, blueprintDigest: String, lineage: String, serial: Int,
                location: PlanLocation? = nil, actions: [PlannedAction]) {
        self.blueprintName = blueprintName
        self.blueprintFile = blueprintFile
        self.blueprintDigest = blueprintDigest
        self.lineage = lineage
        self.serial = serial
        self.location = location
        self.actions = actions
    }

    public var hasChanges: Bool { !actions.isEmpty }

    /// Counts by action type, in the fixed order of `ActionType.allCases`.
    public var summary: [(ActionType, Int)] {
        var counts: [ActionType: Int] = [:]
        for action in actions { counts[action.type, default: 0] += 1 }
        return ActionType.allCases.map { ($0, counts[$0] ?? 0) }
    }
}

/// Where a saved plan's blueprint and state are: absolute paths (or, later, a backend URL).
public struct PlanLocation: Sendable, Equatable {
    public var blueprint: String
    public var state: String
    /// The sandbox the plan was made for (nil in a plan from a firm before sandboxes).
    public var sandbox: String?

    public init(blueprint: String, state: String, sandbox: String? = nil) {
        self.blueprint = blueprint
        self.state = state
        self.sandbox = sandbox
    }
}

/// What an action does, by name: the `type` in plan JSON.
public enum ActionType: String, Sendable, Equatable, CaseIterable {
    case deploy, delete, replace, powerOn, powerOff, refreshIP, connect, disconnect, prepareInfra, cleanInfra

    /// Whether actions of this type go to the provider in batches (ApplyConnectivityChanges).
    public var isConnectivity: Bool { self == .connect || self == .disconnect }

    /// Whether actions of this type target one app (`app.NAME`).
    public var targetsApp: Bool {
        switch self {
        case .prepareInfra, .cleanInfra: false
        default: true
        }
    }
}
