import FirmBase
import FirmModel

/// One node of the plan's DAG. Its kind carries exactly the payload its type needs, so an action
/// whose details don't fit its type can't be built, decoded or run.
public struct PlannedAction: Sendable, Equatable {
    public let kind: ActionKind
    /// Stable: `<type>:<target>`, such as `deploy:app.web`; connect and disconnect add the
    /// network. Derived from the kind once, as plans of 100,000 actions look it up often.
    public let id: String
    /// An address such as `app.web`, `network.dmz` or `provider.sky`.
    public let target: String
    public var dependsOn: [String]
    /// Why, in words for people.
    public var reason: String
    public var provider: String
    /// For a replace: the fields whose change forced it, such as `deploymentPath.deploymentType`.
    public var changedFields: [String]

    public init(_ kind: ActionKind, dependsOn: [String] = [], reason: String, provider: String, changedFields: [String] = []) {
        self.kind = kind
        let target = kind.target
        self.target = target
        self.id = kind.id(target: target)
        self.dependsOn = dependsOn
        self.reason = reason
        self.provider = provider
        self.changedFields = changedFields
    }

    public var type: ActionType { kind.type }

    /// The app name, for actions on one app.
    public var appName: String? { kind.app }

    /// The network of a connect or disconnect.
    public var network: String? {
        switch kind {
        case .connect(_, let link), .disconnect(_, let link): link.network
        default: nil
        }
    }
}

/// An action's type with its payload.
public enum ActionKind: Sendable, Equatable {
    /// Deploys an app; on L3 it is connected to `subnets` (network names) at deploy time.
    case deploy(app: String, subnets: [String])
    /// Deletes the app's VM, then deploys it again.
    case replace(app: String, subnets: [String])
    case delete(app: String)
    case powerOn(app: String)
    case powerOff(app: String)
    case refreshIP(app: String)
    /// L2: puts one of the app's interfaces on a VLAN.
    case connect(app: String, VLANLink)
    /// L2: takes the app's interface off a VLAN.
    case disconnect(app: String, VLANLink)
    /// L3: PrepareSandboxInfra on one provider.
    case prepareInfra(InfraPreparation)
    /// L3: CleanupSandboxInfra of a provider's whole sandbox, or of one subnet.
    case cleanInfra(InfraCleaning)

    public var type: ActionType {
        switch self {
        case .deploy: .deploy
        case .replace: .replace
        case .delete: .delete
        case .powerOn: .powerOn
        case .powerOff: .powerOff
        case .refreshIP: .refreshIP
        case .connect: .connect
        case .disconnect: .disconnect
        case .prepareInfra: .prepareInfra
        case .cleanInfra: .cleanInfra
        }
    }

    /// The app, for the kinds that act on one.
    public var app: String? {
        switch self {
        case .deploy(let app, _), .replace(let app, _), .delete(let app), .powerOn(let app), .powerOff(let app), .refreshIP(let app),
            .connect(let app, _), .disconnect(let app, _):
            app
        case .prepareInfra, .cleanInfra: nil
        }
    }

    public var target: String {
        switch self {
        case .prepareInfra(let p): "provider.\(p.provider)"
        case .cleanInfra(.sandbox(let provider, _)): "provider.\(provider)"
        case .cleanInfra(.subnet(let network)): "network.\(network)"
        default: "app." + app!
        }
    }

    public var id: String { id(target: target) }

    /// The id, given the target already made.
    func id(target: String) -> String {
        var id = type.rawValue
        id.reserveCapacity(id.utf8.count + 1 + target.utf8.count)
        id += ":"
        id += target
        switch self {
        case .connect(_, let link), .disconnect(_, let link):
            id += ":network."
            id += link.network
        default: break
        }
        return id
    }

    /// The subnets a deploy or replace connects to at deploy time.
    public var subnets: [String] {
        switch self {
        case .deploy(_, let s), .replace(_, let s): s
        default: []
        }
    }
}

/// An app's place on one VLAN.
public struct VLANLink: Sendable, Equatable {
    public var network: String
    public var vlan: Int
    public var mode: PortMode

    public init(network: String, vlan: Int, mode: PortMode) {
        self.network = network
        self.vlan = vlan
        self.mode = mode
    }
}

/// What a prepareInfra action asks for.
public struct InfraPreparation: Sendable, Equatable {
    public var provider: String
    /// The cloud network's CIDR, when the sandbox has none yet.
    public var cloud: String?
    public var subnets: [SubnetSpec]
    public var createKeys: Bool

    public init(provider: String, cloud: String?, subnets: [SubnetSpec], createKeys: Bool) {
        self.provider = provider
        self.cloud = cloud
        self.subnets = subnets
        self.createKeys = createKeys
    }
}

/// What a cleanInfra action removes.
public enum InfraCleaning: Sendable, Equatable {
    /// The provider's whole sandbox infrastructure, with these subnets (network names).
    case sandbox(provider: String, subnets: [String])
    /// One subnet (network name).
    case subnet(String)

    /// The network names of the subnets removed.
    public var subnets: [String] {
        switch self {
        case .sandbox(_, let subnets): subnets
        case .subnet(let name): [name]
        }
    }
}
