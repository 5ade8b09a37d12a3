import FirmBase

/// The shapes of a blueprint's objects: the keys `BlueprintDecoder` and `NetworkDecoder` take
/// (they read them from here), and what `BlueprintSchema` renders for editors. The values'
/// patterns and bounds are those the decoders check, as far as a schema can state them.
public enum BlueprintShape {
    // MARK: Values that several objects and provider types share.

    /// A blueprint, app, network or provider name (`Name.rule`).
    public static let name = JSONShape.string(pattern: "^[A-Za-z][A-Za-z0-9_.-]{0,62}$")
    /// An IPv4 CIDR such as `10.0.1.0/24` (that no host bits are set is checked by the decoder).
    public static let cidr = JSONShape.about("An IPv4 network such as \"10.0.1.0/24\", with no host bits set.",
                                             .string(pattern: "^" + octet + "(\\." + octet + "){3}/(3[0-2]|[12][0-9]|[0-9])$"))
    /// A duration such as `30s` or `1.5m` (`DurationText`).
    public static let duration = JSONShape.string(pattern: "^(([0-9]+\\.?[0-9]*|\\.[0-9]+)(us|ms|s|m|h|d)|0)$")
    /// A latency: a duration, or a range of two such as `40ms..60ms` (`LatencyRange`).
    public static let latency = JSONShape.string(pattern: "^([0-9]+\\.?[0-9]*|\\.[0-9]+)(us|ms|s|m|h|d)(\\.\\.([0-9]+\\.?[0-9]*|\\.[0-9]+)(us|ms|s|m|h|d))?$|^0$")
    /// `"LOW-HIGH"` within 2-4094 (that LOW is at most HIGH is checked by the decoder).
    public static let vlanRange = JSONShape.about("VLAN ids \"LOW-HIGH\" within 2-4094, such as \"100-199\".",
                                                  .string(pattern: "^" + vlanID + "-" + vlanID + "$"))
    /// `{"env": "NAME"}`: a value read from the environment when the provider starts.
    public static let env = ObjectShape([
        .init("env", .about("The environment variable that holds the value; it is never written to a plan or the state in clear.",
                            .string(pattern: "^[A-Za-z_][A-Za-z0-9_]{0,127}$")), required: true),
    ])
    /// `{"snapshot": "NAME"}`: a deployment path's `image` deployed from a snapshot of the sandbox
    /// (docs/snapshots.md); the decoder takes it only as the attribute `image` of a deployment path.
    public static let snapshot = ObjectShape([
        .init("snapshot", .about("A snapshot that firm snapshot saved in this sandbox; replaced at deploy by the attributes that restore it.", name),
              required: true),
    ])
    /// An attribute's value: text, `{"env": NAME}`, or (a deployment path's `image`) `{"snapshot": NAME}`.
    public static let attributeValue = JSONShape.anyOf([.string(), .reference("env"), .reference("snapshot")])

    private static let octet = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
    private static let vlanID = "(409[0-4]|40[0-8][0-9]|[1-3][0-9]{3}|[1-9][0-9]{2}|[1-9][0-9]|[2-9])"

    // MARK: The blueprint's objects.

    /// The top level.
    public static let top = ObjectShape([
        .init("$schema", .about("The JSON Schema the blueprint follows, for editors (firm schema prints it); firm ignores it.", .string())),
        .init("version", .about("The format version: 1.", .integer(minimum: 1, maximum: 1)), required: true),
        .init("name", .about("The blueprint's name: the default sandbox, which names the state and tags the VMs.", name), required: true),
        .init("ttl", .about("How long a sandbox lives after an apply, such as \"2h\" (more than 0, at most 100d); firm gc destroys it after.", duration)),
        .init("providers", .about("The clouds, by name.", .map(names: name, values: .reference("provider"))), required: true),
        .init("apps", .about("The VMs to deploy, by name.", .map(names: name, values: .reference("app"))), required: true),
        .init("networks", .about("VLANs (L2 providers) or subnets (L3 providers), by name; apps and networks share one namespace.",
                                 .map(names: name, values: .reference("network")))),
        .init("connectors", .about("What attaches apps to networks, or two apps to each other.", .array(of: .reference("connector")))),
    ])

    /// What a provider's entry takes whatever its type; each type adds its own keys (`ProviderType.entryFields`).
    public static let providerEntry = ObjectShape([
        .init("type", .about("The driver type.", .string()), required: true),
        .init("connectivity", .about("L2 (VLANs) or L3 (subnets); the type's first connectivity when omitted.", .choice(Connectivity.allCases.map(\.rawValue)))),
        .init("settings", .about("The provider type's settings.", .anyObject)),
    ] + ProviderLimits.fields)

    /// An app.
    public static let app = ObjectShape([
        .init("deploymentPath", .about("Where and how the app is deployed; changing it replaces the app.", .reference("deploymentPath")), required: true),
        .init("attributes", .about("The app's attributes, handed to the driver.", .reference("attributes"))),
        .init("power", .about("The desired power state (default on).", .choice(["on", "off"]))),
        .init("waitForIP", .about("Whether a deploy waits for the VM's address (default true).", .boolean)),
    ])

    /// An app's deployment path. Each provider type's own deploymentType and attributes are in
    /// the schema beside it (`ProviderType.deploymentShape`).
    public static let deploymentPath = ObjectShape([
        .init("provider", .about("The name of one of the blueprint's providers.", .string()), required: true),
        .init("deploymentType", .about("The kind of deployment, which the provider's type defines.", .string(pattern: "^[^\\u0000-\\u001f\\u007f-\\u009f]*$", minLength: 1, maxLength: 256)), required: true),
        .init("attributes", .about("The deployment's settings, which the provider's type defines.", .reference("attributes"))),
    ])

    /// Attributes: names of 1 to 200 characters without control characters, each text or `{"env": NAME}`.
    public static let attributes = JSONShape.map(names: .string(pattern: "^[^\\u0000-\\u001f]*$", minLength: 1, maxLength: 200), values: attributeValue)

    /// A network: `vlan` on an L2 provider, `subnet` (and `public`) on an L3 one.
    public static let network = ObjectShape([
        .init("provider", .about("The name of one of the blueprint's providers.", .string()), required: true),
        .init("vlan", .about("L2: a VLAN id from 2 to 4094 (within the provider's vlanRange), or \"auto\".",
                             .anyOf([.integer(minimum: 2, maximum: 4094), .choice(["auto"])]))),
        .init("subnet", .about("L3: an IPv4 CIDR from /8 to /29 inside the provider's CIDR, such as \"10.0.1.0/24\".", cidr)),
        .init("public", .about("L3: whether the subnet routes to the internet (default false).", .boolean)),
    ])

    /// A connector.
    public static let connector = ObjectShape([
        .init("from", .about("An app, or a network.", .string()), required: true),
        .init("to", .about("An app, or a network.", .string()), required: true),
        .init("mode", .about("L2: the port's VLAN mode (default access).", .choice(PortMode.allCases.map(\.rawValue)))),
    ])
}
