/// A DAG of actions computed from (blueprint, state), with a reason for each. Deterministic: the
/// same inputs give the same plan, byte for byte once rendered as JSON.
public struct Plan: Sendable, Equatable {
    public static let formatVersion = 1

    public var blueprintName: String
    /// The blueprint file as the user named it, so that `firm apply PLANFILE` can find it.
    public var blueprintFile: String
    public var blueprintDigest: String
    public var lineage: String
    public var serial: Int
    /// In dependency order: every action comes after the actions it depends on.
    public var actions: [PlannedAction]

    public init(blueprintName: String, blueprintFile: String, blueprintDigest: String, lineage: String, serial: Int, actions: [PlannedAction]) {
        self.blueprintName = blueprintName
        self.blueprintFile = blueprintFile
        self.blueprintDigest = blueprintDigest
        self.lineage = lineage
        self.serial = serial
        self.actions = actions
    }

    public var hasChanges: Bool { !actions.isEmpty }

    /// Counts by action type, in the fixed order of `ActionType.allCases`.
    public var summary: [(ActionType, Int)] {
        ActionType.allCases.map { type in (type, actions.filter { $0.type == type }.count) }
    }
}

/// What an action does.
public enum ActionType: String, Sendable, Equatable, CaseIterable {
    case deploy, delete, replace, powerOn, powerOff, refreshIP, connect, disconnect, prepareInfra, cleanInfra

    /// Whether actions of this type go to the provider in batches (ApplyConnectivityChanges).
    public var isConnectivity: Bool { self == .connect || self == .disconnect }
}

/// What an action needs beyond its type and target. Never a secret.
public enum ActionDetails: Sendable, Equatable {
    case none
    /// connect / disconnect on L2: the network, its VLAN id and the port mode.
    case vlan(network: String, vlan: Int, mode: PortMode)
    /// deploy / replace on L3: the networks (subnets) to connect at deploy time.
    case subnets([String])
    /// prepareInfra: the cloud network (when new), the subnets to prepare, and whether to create keys.
    case prepare(cloud: String?, subnets: [PlannedSubnet], keys: Bool)
    /// cleanInfra: the whole sandbox infrastructure, or these subnets.
    case clean(all: Bool, subnets: [String])
}

/// A subnet to prepare.
public struct PlannedSubnet: Sendable, Equatable {
    public var name: String
    public var cidr: String
    public var isPublic: Bool

    public init(name: String, cidr: String, isPublic: Bool) {
        self.name = name
        self.cidr = cidr
        self.isPublic = isPublic
    }
}

/// One node of the plan's DAG.
public struct PlannedAction: Sendable, Equatable {
    /// Stable: `<type>:<target>`, such as `deploy:app.web`.
    public var id: String
    public var type: ActionType
    /// An address such as `app.web`.
    public var target: String
    public var dependsOn: [String]
    /// Why, in words for people.
    public var reason: String
    public var provider: String
    /// For a replace: the fields whose change forced it, such as `deploymentPath.deploymentType`.
    public var changedFields: [String]
    public var details: ActionDetails

    public init(type: ActionType, target: String, dependsOn: [String] = [], reason: String, provider: String, changedFields: [String] = [],
                details: ActionDetails = .none) {
        if case .vlan(let network, _, _) = details {
            self.id = "\(type.rawValue):\(target):network.\(network)"
        } else {
            self.id = "\(type.rawValue):\(target)"
        }
        self.type = type
        self.target = target
        self.dependsOn = dependsOn
        self.reason = reason
        self.provider = provider
        self.changedFields = changedFields
        self.details = details
    }

    /// The network of a connect or disconnect.
    public var network: String? {
        if case .vlan(let network, _, _) = details { return network }
        return nil
    }

    /// The app name, for targets of the form `app.NAME`.
    public var appName: String? {
        target.hasPrefix("app.") ? String(target.dropFirst(4)) : nil
    }
}
