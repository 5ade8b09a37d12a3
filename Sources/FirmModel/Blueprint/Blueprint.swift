import FirmBase

/// The desired world: providers, apps, networks and connectors, as a blueprint file states it.
public struct Blueprint: Sendable, Equatable {
    /// The blueprint's name. It picks the state file, so it is always a valid `Name`.
    public var name: String
    public var providers: [String: ProviderSpec]
    public var apps: [String: AppSpec]
    public var networks: [String: NetworkSpec]
    public var connectors: [ConnectorSpec]
    /// The SHA-256 of the file the blueprint was read from, when it was read from one.
    public var sourceDigest: String?
    /// How long a sandbox of it lives after an apply (`"ttl": "2h"`); `apply --ttl` overrides it.
    public var ttl: Duration?
    /// The `providers` object as written, which the state keeps so that a sandbox can be
    /// destroyed without the file (secrets in it are `{"env"}` references).
    public var providersSource: JSON?

    public init(
        name: String, providers: [String: ProviderSpec] = [:], apps: [String: AppSpec] = [:],
        networks: [String: NetworkSpec] = [:], connectors: [ConnectorSpec] = []
    ) {
        self.name = name
        self.providers = providers
        self.apps = apps
        self.networks = networks
        self.connectors = connectors
    }
}

/// Whether a provider joins VMs to VLANs (L2) or places them on subnets (L3).
public enum Connectivity: String, Sendable, Equatable, CaseIterable {
    case l2 = "L2"
    case l3 = "L3"
}

/// One configured cloud.
public struct ProviderSpec: Sendable, Equatable {
    public var type: String
    public var connectivity: Connectivity
    /// The driver's settings, as written; each driver checks its own.
    public var settings: JSON
    /// `process` drivers: the program and its arguments.
    public var command: [String]
    /// `process` drivers: the time limit per operation (`default` for the others).
    public var timeouts: [String: Duration]
    /// `retries`, `concurrency` and `requestsPerSecond` as written; nil takes the type's default.
    public var limits: ProviderLimits
    /// What the type makes of the settings, for the planner and the executor (set when the
    /// blueprint is decoded).
    public var traits = ProviderTraits()

    public init(type: String, connectivity: Connectivity = .l2, settings: JSON = .object(JSONObject()), command: [String] = [],
                timeouts: [String: Duration] = [:], limits: ProviderLimits = ProviderLimits()) {
        self.limits = limits
        self.type = type
        self.connectivity = connectivity
        self.settings = settings
        self.command = command
        self.timeouts = timeouts
    }
}

/// An attribute's value: a literal, or the name of an environment variable read at apply time.
public enum AttributeValue: Sendable, Equatable, Hashable {
    case literal(String)
    /// Sensitive: the value is read from the environment when applying and is never printed.
    case env(String)
    /// A snapshot of the sandbox's state (docs/snapshots.md), only as the deployment attribute
    /// `image`: replaced, at deploy time, by the attributes its provider said restore it.
    case snapshot(String)

    /// How the value is written in blueprints, state and plans. An env value stays a reference.
    public var json: JSON {
        switch self {
        case .literal(let s): .string(s)
        case .env(let name): ["env": .string(name)]
        case .snapshot(let name): ["snapshot": .string(name)]
        }
    }

    /// Whether the value comes from the environment (and so is sensitive).
    public var isEnvReference: Bool {
        if case .env = self { return true }
        return false
    }

    /// How the value is shown to people: secrets are masked.
    public var display: String {
        switch self {
        case .literal(let s): quoted(s)
        case .env(let name): "(sensitive, from $\(name))"
        case .snapshot(let name): "(snapshot \(quoted(name)))"
        }
    }
}

/// Where and how an app is deployed. Changing it replaces the app.
public struct DeploymentPath: Sendable, Equatable, Hashable {
    public var provider: String
    public var deploymentType: String
    public var attributes: [String: AttributeValue]

    public init(provider: String, deploymentType: String, attributes: [String: AttributeValue] = [:]) {
        self.provider = provider
        self.deploymentType = deploymentType
        self.attributes = attributes
    }
}

/// Desired power state.
public enum Power: String, Sendable, Equatable {
    case on
    case off
}

/// One VM to deploy.
public struct AppSpec: Sendable, Equatable {
    public var deploymentPath: DeploymentPath
    public var attributes: [String: AttributeValue]
    public var power: Power
    public var waitForIP: Bool

    public init(
        deploymentPath: DeploymentPath, attributes: [String: AttributeValue] = [:], power: Power = .on,
        waitForIP: Bool = true
    ) {
        self.deploymentPath = deploymentPath
        self.attributes = attributes
        self.power = power
        self.waitForIP = waitForIP
    }
}

/// A VLAN id, fixed or allocated from the provider's range.
public enum VLANRequest: Sendable, Equatable {
    case fixed(Int)
    case auto
}

/// A network: a VLAN on an L2 provider, a subnet on an L3 provider.
public struct NetworkSpec: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case vlan(VLANRequest)
        case subnet(cidr: String, isPublic: Bool)
    }

    public var provider: String
    public var kind: Kind

    public init(provider: String, kind: Kind) {
        self.provider = provider
        self.kind = kind
    }
}

/// How an app's interface joins a VLAN.
public enum PortMode: String, Sendable, Equatable, CaseIterable {
    case access
    case trunk
}

/// Attaches an app to a network, or links two apps directly.
public struct ConnectorSpec: Sendable, Equatable {
    /// The name of the implicit network between two apps: `link:A:B`, with A < B. Names
    /// cannot hold `:`, so it never clashes with a declared one.
    public static func linkName(_ a: String, _ b: String) -> String {
        a < b ? "link:\(a):\(b)" : "link:\(b):\(a)"
    }

    public var from: String
    public var to: String
    public var mode: PortMode?

    public init(from: String, to: String, mode: PortMode? = nil) {
        self.from = from
        self.to = to
        self.mode = mode
    }
}
