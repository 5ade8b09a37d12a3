import FirmBase

/// What the last applies did, as recorded: one entry per deployed app, plus the provider calls
/// that were started and whose outcome is not yet known.
public struct State: Sendable, Equatable {
    public static let formatVersion = 1
    /// The largest serial a state may carry: far beyond any real use, and far from overflow.
    public static let maxSerial = 1 << 52

    /// Set when the state is created, and kept for its whole life.
    public var lineage: String
    /// Goes up by one with every recorded change.
    public var serial: Int
    /// The blueprint this state belongs to.
    public var blueprint: String
    public var apps: [String: AppState]
    /// Provider calls started but not yet known to have finished, by intent id.
    public var intents: [String: Intent]
    /// Networks as realized: allocated VLAN ids (L2) and prepared subnets (L3), by name.
    public var networks: [String: NetworkState]
    /// Each L3 provider's prepared sandbox infrastructure, by provider name.
    public var infra: [String: InfraState]
    /// Its sandbox: providers as applied and lifetime (nil in a state no apply has recorded it in).
    public var sandbox: SandboxRecord?
    /// Saved apps (`firm snapshot`), by snapshot name.
    public var snapshots: [String: SnapshotRecord] = [:]

    public init(lineage: String, serial: Int = 0, blueprint: String, apps: [String: AppState] = [:], intents: [String: Intent] = [:],
                networks: [String: NetworkState] = [:], infra: [String: InfraState] = [:]) {
        self.lineage = lineage
        self.serial = serial
        self.blueprint = blueprint
        self.apps = apps
        self.intents = intents
        self.networks = networks
        self.infra = infra
    }

    /// A state that does not exist yet. Its lineage is empty until the first write gives it
    /// one, so that plans made before the first apply are deterministic.
    public static func new(blueprint: String) -> State {
        State(lineage: "", blueprint: blueprint)
    }

    /// Applies one recorded change.
    public mutating func apply(_ change: StateChange) {
        switch change {
        case .putApp(let name, let app): apps[name] = app
        case .setPower(let name, let power): apps[name]?.power = power
        case .setAddresses(let name, let addresses):
            apps[name]?.address = addresses.privateAddress
            apps[name]?.publicAddress = addresses.publicAddress
        case .removeApp(let name): apps[name] = nil
        case .beginIntent(let intent): intents[intent.id] = intent
        case .endIntent(let id): intents[id] = nil
        case .putNetwork(let name, let network): networks[name] = network
        case .removeNetwork(let name): networks[name] = nil
        case .putInfra(let provider, let value): infra[provider] = value
        case .removeInfra(let provider): infra[provider] = nil
        case .putSandbox(let record): sandbox = record
        case .putSnapshot(let name, let record): snapshots[name] = record
        case .removeSnapshot(let name): snapshots[name] = nil
        }
    }
}

/// One app as deployed.
public struct AppState: Sendable, Equatable {
    public var provider: String
    /// The deployment path as applied; env attributes stay references.
    public var deploymentPath: DeploymentPath
    /// The app's attributes as applied from the blueprint; env attributes stay references.
    public var attributes: [String: AttributeValue]
    public var vmName: String
    public var vmUuid: String
    public var address: String
    public var publicAddress: String
    public var power: Power
    /// deployedAppAttributes from the driver, such as a generated password.
    public var deployedAttributes: [String: String]
    /// deployedAppAdditionalData from the driver. (vmDetailsData is not kept: it went stale as
    /// soon as the VM changed, and a refresh observes what is real.)
    public var additionalData: [String: JSON]
    /// The app's network connections as made, by network name.
    public var connections: [String: Connection] = [:]

    public init(
        provider: String, deploymentPath: DeploymentPath, attributes: [String: AttributeValue], vmName: String,
        vmUuid: String, address: String = "", publicAddress: String = "", power: Power = .off,
        deployedAttributes: [String: String] = [:], additionalData: [String: JSON] = [:]
    ) {
        self.provider = provider
        self.deploymentPath = deploymentPath
        self.attributes = attributes
        self.vmName = vmName
        self.vmUuid = vmUuid
        self.address = address
        self.publicAddress = publicAddress
        self.power = power
        self.deployedAttributes = deployedAttributes
        self.additionalData = additionalData
    }
}

/// A provider call that was started. It is recorded durably before the call, and ended after.
public struct Intent: Sendable, Equatable {
    public enum Operation: String, Sendable, Equatable, CaseIterable {
        case deploy, delete
    }

    public var id: String
    public var operation: Operation
    public var app: String
    public var provider: String
    /// The unique VM name asked for (deploy) or being deleted (delete).
    public var vmName: String
    /// The VM's uuid, when known (delete).
    public var vmUuid: String
    /// When it started, as ISO 8601.
    public var started: String
    /// For a deploy: the deployment path and app attributes asked for, so that recovery can
    /// adopt the VM with what it really was deployed from.
    public var deploymentPath: DeploymentPath?
    public var attributes: [String: AttributeValue]
    /// For a deploy in a launch that makes several VMs at once: the VM's slot in it, recorded
    /// before the launch.
    public var launch: LaunchSlot?

    public init(id: String, operation: Operation, app: String, provider: String, vmName: String, vmUuid: String = "", started: String,
                deploymentPath: DeploymentPath? = nil, attributes: [String: AttributeValue] = [:], launch: LaunchSlot? = nil) {
        self.launch = launch
        self.deploymentPath = deploymentPath
        self.attributes = attributes
        self.id = id
        self.operation = operation
        self.app = app
        self.provider = provider
        self.vmName = vmName
        self.vmUuid = vmUuid
        self.started = started
    }
}

/// One change to the state, as written to the journal.
public enum StateChange: Sendable, Equatable {
    case putApp(String, AppState)
    /// Only the power of an app that is in the state: a few dozen bytes, whatever the app holds.
    case setPower(String, Power)
    /// Only the addresses of an app that is in the state.
    case setAddresses(String, Addresses)
    case removeApp(String)
    case beginIntent(Intent)
    case endIntent(String)
    case putNetwork(String, NetworkState)
    case removeNetwork(String)
    case putInfra(String, InfraState)
    case removeInfra(String)
    /// The sandbox's record, whole: it changes once or twice per apply.
    case putSandbox(SandboxRecord)
    /// A snapshot, whole: saving (before the provider is asked) or available.
    case putSnapshot(String, SnapshotRecord)
    case removeSnapshot(String)
}
