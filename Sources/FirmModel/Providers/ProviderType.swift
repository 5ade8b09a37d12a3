import FirmBase

/// One kind of provider (`simulated`, `process`, `ec2`): how its blueprint entry and
/// settings are checked, what it supports, its default limits, and how it is built. A new type
/// is a target of its own and one line in the composition root's registry (`BuiltIn`): nothing
/// else switches on a type's name.
public protocol ProviderType: Sendable {
    /// The `type` in the blueprint.
    var name: String { get }
    /// The connectivity models it supports.
    var connectivities: [Connectivity] { get }
    /// Its limits when the blueprint gives none.
    var defaultLimits: ProviderLimits { get }
    /// Keys of the provider's blueprint entry that only this type takes (beyond `type`,
    /// `connectivity`, `settings` and the limits), with their shapes: the decoder allows them,
    /// and `firm schema` shows them.
    var entryFields: [ObjectShape.Field] { get }
    /// The shape of its `settings`: the keys its `checkSettings` takes, for `firm schema`.
    var settingsShape: JSONShape { get }
    /// The shape of its apps' deployment paths (`deploymentType` and `attributes`, as
    /// `checkDeploymentPath` checks them), or nil when the driver decides.
    var deploymentShape: ObjectShape? { get }

    /// Reads `entryKeys` into `spec`, reporting problems with their paths; false when wrong.
    func decodeEntry(_ fields: JSONFields, _ path: JSONPath, _ spec: inout ProviderSpec, _ context: inout DecodingContext) -> Bool
    /// Checks `settings` with JSON paths; `apps` are the blueprint's apps, by name.
    func checkSettings(_ node: JSONNode, _ path: JSONPath, apps: [String: AppSpec], _ context: inout DecodingContext)
    /// L3: the cloud network that subnets must lie in, when the settings declare one; the
    /// sandbox's network is then prepared with it (10.0.0.0/16 when none is declared).
    func cloudCIDR(_ spec: ProviderSpec) -> CIDR?
    /// L2: the VLAN ids `auto` networks may take.
    func vlanRange(_ spec: ProviderSpec) -> ClosedRange<Int>
    /// The mean time each operation is expected to take, in microseconds, where the settings
    /// declare it (the simulated cloud's `latency`); the executor orders work by it.
    func expectedMicroseconds(_ spec: ProviderSpec) -> [ProviderOperation: Int]
    /// Checks an app's deployment path on this type (its deploymentType and attributes);
    /// `path` is the app's `deploymentPath`.
    func checkDeploymentPath(_ deployment: DeploymentPath, _ path: JSONPath, _ context: inout DecodingContext)
    /// Whether `checkDeploymentPath` checks anything, so that the apps of a type that accepts
    /// any deployment path are not visited at all.
    var checksDeploymentPaths: Bool { get }
    /// Whether every app of an L3 provider of this type must be connected to one of its subnets.
    var appsNeedSubnet: Bool { get }
    /// Builds the provider.
    func make(_ context: ProviderContext) throws(ProviderError) -> any CloudProvider
    /// `firm exec`: the program and its arguments that run `command` inside `app` (recorded in
    /// the state), or nil when this type can't run commands inside its apps.
    func execArguments(_ context: ProviderContext, app: AppState, command: [String]) throws(ProviderError) -> [String]?
}

extension ProviderType {
    /// The keys of `entryFields`.
    public var entryKeys: [String] { entryFields.map(\.name) }

    /// Any deployment path: the driver decides.
    public func checkDeploymentPath(_ deployment: DeploymentPath, _ path: JSONPath, _ context: inout DecodingContext) {}
    public var checksDeploymentPaths: Bool { false }
    /// No declared latencies: the executor's rough weights apply.
    public func expectedMicroseconds(_ spec: ProviderSpec) -> [ProviderOperation: Int] { [:] }
    /// No way into its apps.
    public func execArguments(_ context: ProviderContext, app: AppState, command: [String]) throws(ProviderError) -> [String]? { nil }

    /// What the planner and the executor need of this type for `spec`.
    public func traits(_ spec: ProviderSpec) -> ProviderTraits {
        ProviderTraits(cloudCIDR: cloudCIDR(spec), vlanRange: vlanRange(spec), expectedMicroseconds: expectedMicroseconds(spec),
                       appsNeedSubnet: appsNeedSubnet)
    }

    /// Apps may go unconnected unless a type says otherwise.
    public var appsNeedSubnet: Bool { false }
}

/// What building a provider may use.
public struct ProviderContext: Sendable {
    public var name: String
    public var spec: ProviderSpec
    /// The blueprint's name: the sandbox drivers tag VMs with.
    public var sandbox: String
    /// The folder relative paths in settings are resolved against.
    public var baseDirectory: String
    /// Receives the lines a driver writes on stderr (`-v`), already redacted.
    public var driverLog: (@Sendable (String) -> Void)?
    /// Resolves `{"env": NAME}`: the one place environment values are read.
    public var environment: Environment

    public init(name: String, spec: ProviderSpec, sandbox: String, baseDirectory: String, driverLog: (@Sendable (String) -> Void)? = nil,
                environment: Environment = .process) {
        self.name = name
        self.spec = spec
        self.sandbox = sandbox
        self.baseDirectory = baseDirectory
        self.driverLog = driverLog
        self.environment = environment
    }
}

/// The provider types a process knows, by name. The composition root builds it; validation
/// and the provider factory are handed it, and nothing else needs it.
public struct ProviderTypeRegistry: Sendable {
    public let all: [any ProviderType]

    public init(_ types: [any ProviderType]) {
        self.all = types
    }

    /// The type names, for validation messages.
    public var names: [String] { all.map(\.name) }

    public func type(named name: String) -> (any ProviderType)? {
        all.first { $0.name == name }
    }

    /// Every key any type takes on a provider's entry.
    var entryKeys: [String] { all.flatMap(\.entryKeys) }
    /// Every key any type takes on a provider's entry, with its shape (each type's own rules,
    /// such as what it requires, apply to its providers only).
    var entryFields: [ObjectShape.Field] { all.flatMap(\.entryFields) }
}
