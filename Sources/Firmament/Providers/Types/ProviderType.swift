/// One kind of provider (`simulated`, `process`, `ec2`): how its blueprint entry and
/// settings are checked, what it supports, its default limits, and how it is built. A new type
/// is a folder under Providers/ and one line in `ProviderTypeRegistry`: nothing else switches
/// on a type's name.
public protocol ProviderType: Sendable {
    /// The `type` in the blueprint.
    var name: String { get }
    /// The connectivity models it supports.
    var connectivities: [Connectivity] { get }
    /// Its limits when the blueprint gives none.
    var defaultLimits: ProviderLimits { get }
    /// Keys of the provider's blueprint entry that only this type takes (beyond `type`,
    /// `connectivity`, `settings` and the limits).
    var entryKeys: [String] { get }

    /// Reads `entryKeys` into `spec`, reporting problems with their paths; false when wrong.
    func decodeEntry(_ fields: JSONFields, _ path: JSONPath, _ spec: inout ProviderSpec, _ context: inout DecodingContext) -> Bool
    /// Checks `settings` with JSON paths; `apps` are the blueprint's apps, by name.
    func checkSettings(_ node: JSONNode, _ path: JSONPath, apps: [String: AppSpec], _ context: inout DecodingContext)
    /// L3: the cloud network that subnets must lie in, when the settings declare one; the
    /// sandbox's network is then prepared with it (10.0.0.0/16 when none is declared).
    func cloudCIDR(_ spec: ProviderSpec) -> CIDR?
    /// L2: the VLAN ids `auto` networks may take.
    func vlanRange(_ spec: ProviderSpec) -> ClosedRange<Int>
    /// Checks an app's deployment path on this type (its deploymentType and attributes);
    /// `path` is the app's `deploymentPath`.
    func checkDeploymentPath(_ deployment: DeploymentPath, _ path: JSONPath, _ context: inout DecodingContext)
    /// Whether `checkDeploymentPath` checks anything, so that the apps of a type that accepts
    /// any deployment path are not visited at all.
    var checksDeploymentPaths: Bool { get }
    /// Builds the provider.
    func make(_ context: ProviderContext) throws(ProviderError) -> any CloudProvider
}

extension ProviderType {
    /// Any deployment path: the driver decides.
    public func checkDeploymentPath(_ deployment: DeploymentPath, _ path: JSONPath, _ context: inout DecodingContext) {}
    public var checksDeploymentPaths: Bool { false }
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

/// The registry of provider types.
public enum ProviderTypeRegistry {
    public static let all: [any ProviderType] = [SimulatedProviderType(), ProcessProviderType(), EC2ProviderType()]

    /// The type names, for validation messages.
    public static var names: [String] { all.map(\.name) }

    public static func type(named name: String) -> (any ProviderType)? {
        all.first { $0.name == name }
    }

    /// Every key any type takes on a provider's entry.
    static var entryKeys: [String] { all.flatMap(\.entryKeys) }
}
