import FirmBase
import FirmModel

/// The settings of a `simulated` provider, all optional:
/// `{"cidr": "10.0.0.0/16", "dataDir": "<folder>", "latency": {"deploy": "40ms..60ms"},
///   "failures": {"deploy": ["db"]}, "vlanRange": "100-199", "catalog": {…}}` (docs/catalog.md).
public struct SimulatedSettings: Sendable, Equatable {
    /// Where the simulated world is kept when `dataDir` is not set, relative to the current folder.
    public static let defaultDataDir = ".firm/sim"
    public static let defaultCIDR = CIDR("10.0.0.0/16")!

    /// The operations that take a latency or a failure.
    public static let operations = ProviderOperation.names
    /// In `failures`, the name that makes every call of the operation fail, including calls
    /// about no app (prepareSandboxInfra, cleanSandboxInfra, inventory).
    public static let everyCall = "*"
    /// The keys `decode` takes, with their shapes (`firm schema`).
    static let shape = ObjectShape([
        .init("cidr", .about("The cloud's network, from /8 to /28 (default 10.0.0.0/16): VM addresses and subnets come from it.", BlueprintShape.cidr)),
        .init("dataDir", .about("Where the simulated world is kept (default .firm/sim), relative to the blueprint's home.", .string(minLength: 1))),
        .init("latency", .about("Each operation's time, a duration or a range such as \"40ms..60ms\".",
                                .object(ObjectShape(operations.map { .init($0, BlueprintShape.latency) })))),
        .init("failures", .about("Each operation's apps whose calls fail, or \"*\" for every call.",
                                 .object(ObjectShape(operations.map { .init($0, .array(of: .string())) })))),
        .init("flaky", .about("Each operation's apps whose first call in each firm process fails as retryable throttling, or \"*\" for the first call about any app.",
                              .object(ObjectShape(operations.map { .init($0, .array(of: .string())) })))),
        .init("vlanRange", BlueprintShape.vlanRange),
        .init("throttle", .about("The share of calls that fail as retryable throttling, from 0 to under 1.", .number(minimum: 0, exclusiveMaximum: 1))),
        .init("catalog", .about("What the cloud offers, instead of its standard catalog (docs/catalog.md).", .object(CatalogDecoder.shape))),
    ])

    public var cidr: CIDR = defaultCIDR
    public var dataDir: String = defaultDataDir
    public var latency: [ProviderOperation: LatencyRange] = [:]
    /// Operation -> the apps whose call of it fails (`everyCall` for every call).
    public var failures: [ProviderOperation: Set<String>] = [:]
    /// Operation -> the apps whose first call of it in each firm process fails as retryable
    /// throttling, and whose later calls go through: a retry that happens on every run.
    public var flaky: [ProviderOperation: Set<String>] = [:]
    public var vlanRange: ClosedRange<Int> = VLANRange.all
    /// The share of calls (0 to under 1) that fail as retryable throttling, as a busy cloud's do.
    public var throttle: Double = 0
    /// What it offers, and refuses deploys outside of: its standard catalog, or `catalog`.
    public var catalog: ProviderCatalog = SimulatedCatalog.standard

    public init() {}

    /// Decodes and checks settings, reporting each problem with its path.
    /// `apps` are the blueprint's apps, whose names `failures` may name; nil skips that check.
    static func decode(_ node: JSONNode, _ path: JSONPath, apps: [String: AppSpec]?, _ context: inout DecodingContext) -> SimulatedSettings? {
        guard let fields = context.members(of: node, at: path, shape: shape) else { return nil }
        var settings = SimulatedSettings()
        let before = context.diagnostics.count
        if let node = fields["cidr"], let text = context.string(node, at: path.key("cidr")) {
            if let cidr = CIDR(text), (8...28).contains(cidr.prefix) { settings.cidr = cidr }
            else { context.report(path.key("cidr"), "\(quoted(text)) is not a valid CIDR; expected an IPv4 network with a prefix from /8 to /28 and no host bits, such as \"10.0.0.0/16\"", at: node.position) }
        }
        if let node = fields["dataDir"], let text = context.string(node, at: path.key("dataDir")) {
            if text.isEmpty || text.utf8.contains(0) { context.report(path.key("dataDir"), "expected a folder path", at: node.position) }
            else { settings.dataDir = text }
        }
        if let node = fields["vlanRange"], let text = context.string(node, at: path.key("vlanRange")) {
            if let range = VLANRange.parse(text) { settings.vlanRange = range }
            else { context.report(path.key("vlanRange"), "\(quoted(text)) is not a VLAN range; expected \"LOW-HIGH\" within 2-4094, such as \"100-199\"", at: node.position) }
        }
        if let node = fields["throttle"], let value = context.number(node, at: path.key("throttle"), accepts: { $0 >= 0 && $0 < 1 },
                                                                       expected: "the share of calls to throttle, a number from 0 to under 1, such as 0.3") {
            settings.throttle = value
        }
        if let node = fields["catalog"], let catalog = CatalogDecoder.decode(node, path.key("catalog"), &context) {
            settings.catalog = catalog
        }
        if let node = fields["latency"] {
            for (op, position, value) in operationEntries(node, path.key("latency"), &context) {
                guard let text = context.string(value, at: path.key("latency").key(op)) else { continue }
                if let range = LatencyRange(text), let op = ProviderOperation(rawValue: op) { settings.latency[op] = range }
                else { context.report(path.key("latency").key(op), "\(quoted(text)) is not a latency; expected a duration such as \"10ms\" or a range such as \"40ms..60ms\"", at: position) }
            }
        }
        if let node = fields["failures"] { settings.failures = appsByOperation(node, path.key("failures"), apps: apps, &context) }
        if let node = fields["flaky"] { settings.flaky = appsByOperation(node, path.key("flaky"), apps: apps, &context) }
        return context.diagnostics.count == before ? settings : nil
    }

    /// `{"deploy": ["db"]}`: per operation, app names of the blueprint or `everyCall`.
    static func appsByOperation(_ node: JSONNode, _ path: JSONPath, apps: [String: AppSpec]?, _ context: inout DecodingContext) -> [ProviderOperation: Set<String>] {
        var result: [ProviderOperation: Set<String>] = [:]
        for (op, _, value) in operationEntries(node, path, &context) {
            let here = path.key(op)
            guard case .array(let items) = value.kind else {
                context.report(here, "expected an array of app names, found \(value.typeName)", at: value.position)
                continue
            }
            for (i, item) in items.enumerated() {
                guard let app = context.string(item, at: here.index(i)), let op = ProviderOperation(rawValue: op) else { continue }
                if let apps, apps[app] == nil, app != everyCall {
                    context.report(here.index(i), "unknown app \(quoted(app))" + (Spelling.closest(to: app, among: apps.keys.sorted()).map { " (did you mean \($0)?)" } ?? "; expected an app name, or \"*\" for every call"), at: item.position)
                } else {
                    result[op, default: []].insert(app)
                }
            }
        }
        return result
    }

    static func operationEntries(_ node: JSONNode, _ path: JSONPath, _ context: inout DecodingContext) -> [(String, SourcePosition, JSONNode)] {
        (context.entries(of: node, at: path, what: "an object keyed by operation") ?? []).filter { op, position, _ in
            if operations.contains(op) { return true }
            let hint = Spelling.closest(to: op, among: operations).map { " (did you mean \($0)?)" } ?? "; expected one of: " + operations.joined(separator: ", ")
            context.report(path.key(op), "unknown operation" + hint, at: position)
            return false
        }
    }

    /// Whether calls of `operation` take no time and can't fail: no latency above zero, no
    /// throttling, no injected failure.
    func isInstant(_ operation: ProviderOperation) -> Bool {
        (latency[operation].map { $0.high == .zero } ?? true) && throttle == 0 && failures[operation] == nil && flaky[operation] == nil
    }

    /// Settings from a provider spec that has already been validated.
    public init(_ settings: JSON) {
        var context = DecodingContext(file: "")
        self = Self.decode(JSONNode(plain: settings), JSONPath(), apps: nil, &context) ?? SimulatedSettings()
    }
}
