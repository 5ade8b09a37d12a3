import Foundation
import FirmBase

/// Why a blueprint could not be loaded.
public enum BlueprintError: Error, Equatable, CustomStringConvertible {
    case unreadable(file: String, reason: String)
    case invalid([Diagnostic])

    public var description: String {
        switch self {
        case .unreadable(let file, let reason): "\(file): cannot read the blueprint: \(reason)"
        case .invalid(let diagnostics): diagnostics.map(\.description).joined(separator: "\n")
        }
    }
}

/// Reads and validates blueprint files (format version 1).
public enum BlueprintDecoder {
    /// The largest blueprint file accepted, so that a huge input fails fast and clearly.
    public static let maxFileSize = 64 << 20

    /// Loads the blueprint at `path`; `displayName` is how errors name the file.
    /// `parsed` is called with the blueprint's JSON once it has parsed, before it is checked, so
    /// that work that needs only its raw name can start. `preread` is the same file already read
    /// and parsed, used instead of reading it again when it is `path` and within the size limit.
    public static func load(path: String, types: ProviderTypeRegistry, displayName: String? = nil, preread: ParsedFile? = nil,
                            parsed: ((JSONNode) -> Void)? = nil) throws(BlueprintError) -> Blueprint {
        let name = displayName ?? path
        if let preread, preread.path == path, preread.bytes.count <= maxFileSize {
            return try decode(preread.bytes, file: name, types: types, root: preread.root, apps: preread.apps, parsed: parsed)
        }
        let bytes: [UInt8]
        do {
            bytes = try FileIO.readRegular(path, limit: maxFileSize)
        } catch {
            throw .unreadable(file: name, reason: error.description)
        }
        return try decode(bytes, file: name, types: types, parsed: parsed)
    }

    /// Decodes a blueprint from bytes, reporting every problem at once. `root` is the bytes
    /// already parsed, when they were.
    public static func decode(_ bytes: [UInt8], file: String, types: ProviderTypeRegistry, root parsedRoot: JSONNode? = nil,
                              parsed: ((JSONNode) -> Void)? = nil) throws(BlueprintError) -> Blueprint {
        try decode(bytes, file: file, types: types, root: parsedRoot, apps: nil, parsed: parsed)
    }

    /// `apps` are the apps of `root` already read (see ParsedFile); `root` holds the rest.
    static func decode(_ bytes: [UInt8], file: String, types: ProviderTypeRegistry, root parsedRoot: JSONNode?, apps parsedApps: [String: AppSpec]?,
                       parsed: ((JSONNode) -> Void)?) throws(BlueprintError) -> Blueprint {
        // A large blueprint is hashed on the other core while it is parsed and checked.
        // `digest?.value` below blocks the calling thread until the hash is done, and the callers
        // (Session.init from async commands) run on the cooperative pool. The wait is short (the
        // parse and check take longer than the hash), so it stays; an async decode would await
        // the hash instead of blocking for it.
        let digest = bytes.count >= 1 << 18 ? ThreadedValue { SHA256.hex(bytes) } : nil
        var parsed = parsed
        // Nearly always the apps can be read straight from the bytes; otherwise, or when that
        // finds anything to report, the whole file is decoded the general way, which reports it.
        let given = parsedRoot.flatMap { root in parsedApps.map { BlueprintFastPath.Read(root: root, apps: $0) } }
        if let fast = given ?? (parsedRoot == nil ? BlueprintFastPath.read(bytes) : nil) {
            parsed?(fast.root)
            parsed = nil
            var context = DecodingContext(file: file)
            if var blueprint = decode(fast.root, &context, types: types, apps: fast.apps), context.diagnostics.isEmpty,
                blueprint.apps.values.allSatisfy({ blueprint.providers[$0.deploymentPath.provider] != nil }) {
                blueprint.sourceDigest = digest?.value ?? SHA256.hex(bytes)
                return blueprint
            }
        }
        let root: JSONNode
        if let parsedRoot, parsedApps == nil {
            root = parsedRoot
        } else {
            do {
                root = try JSONReader.parse(bytes)
            } catch {
                throw .invalid([Diagnostic(file: file, position: error.position, path: "", message: error.message)])
            }
        }
        parsed?(root)
        var context = DecodingContext(file: file)
        let blueprint = decode(root, &context, types: types)
        guard context.diagnostics.isEmpty, var blueprint else {
            throw .invalid(context.diagnostics)
        }
        blueprint.sourceDigest = digest?.value ?? SHA256.hex(bytes)
        return blueprint
    }

    /// The longest time to live a sandbox may be given.
    public static let maxTTL: Duration = .seconds(100 * 86400)

    /// `apps` are the apps already decoded (by BlueprintFastPath), used instead of `root`'s.
    static func decode(_ root: JSONNode, _ context: inout DecodingContext, types: ProviderTypeRegistry, apps: [String: AppSpec]? = nil) -> Blueprint? {
        let path = JSONPath()
        if case .object(let members) = root.kind, members.isEmpty {
            context.report(path, "the blueprint is empty; expected at least \"version\", \"name\", \"providers\" and \"apps\"", at: root.position)
            return nil
        }
        guard let top = context.members(of: root, at: path, shape: BlueprintShape.top) else {
            return nil
        }
        // The schema an editor follows: firm only checks that it is text.
        if let node = top["$schema"] { _ = context.string(node, at: path.key("$schema")) }
        if let version = top["version"], let v = context.int(version, at: path.key("version")), v != 1 {
            context.report(path.key("version"), "unsupported format version \(v); expected 1", at: version.position)
        }
        var name: String?
        if let node = top["name"], let s = context.string(node, at: path.key("name")) {
            name = context.name(s, at: path.key("name"), position: node.position, what: "blueprint")
        }
        let providers = top["providers"].map { decodeProviders($0, path.key("providers"), types, &context) } ?? [:]
        context.noteBroken("provider", declared: top["providers"]) { providers[$0] != nil }
        var blueprint = Blueprint(name: name ?? "", providers: providers)
        blueprint.providersSource = top["providers"]?.plain
        if let node = top["ttl"], let text = context.string(node, at: path.key("ttl")) {
            if let ttl = DurationText.parse(text), ttl > .zero, ttl <= Self.maxTTL {
                blueprint.ttl = ttl
            } else {
                context.report(path.key("ttl"), "expected a time to live such as \"2h\" or \"30m\" (more than 0, at most 100d)", at: node.position)
            }
        }
        blueprint.apps = apps ?? top["apps"].map { decodeApps($0, path.key("apps"), providers, &context) } ?? [:]
        blueprint.networks = top["networks"].map { NetworkDecoder.networks($0, path.key("networks"), providers, &context) } ?? [:]
        context.noteBroken("app", declared: top["apps"]) { [apps = blueprint.apps] in apps[$0] != nil }
        context.noteBroken("network", declared: top["networks"]) { [networks = blueprint.networks] in networks[$0] != nil }
        NetworkDecoder.checkNamespace(top["networks"], path.key("networks"), blueprint, &context)
        blueprint.connectors = top["connectors"].map { NetworkDecoder.connectors($0, path.key("connectors"), blueprint, &context) } ?? []
        NetworkDecoder.checkVLANCapacity(path.key("networks"), blueprint, &context)
        ProviderSettingsCheck.check(top["providers"], path.key("providers"), blueprint, types, root: root, &context)
        // A rule across apps, networks and connectors, checked once each of them is sound, so
        // that it never reports what follows from a problem already reported.
        if context.diagnostics.isEmpty { NetworkDecoder.checkSubnetsConnected(top["apps"], path.key("apps"), blueprint, &context) }
        return name == nil ? nil : blueprint
    }

    static func decodeProviders(_ node: JSONNode, _ path: JSONPath, _ types: ProviderTypeRegistry, _ context: inout DecodingContext) -> [String: ProviderSpec] {
        var result: [String: ProviderSpec] = [:]
        for (key, keyPosition, value) in context.entries(of: node, at: path, what: "an object of providers") ?? [] {
            let here = path.key(key)
            guard let name = context.name(key, at: here, position: keyPosition, what: "provider"),
                let fields = context.members(of: value, at: here, allowed: BlueprintShape.providerEntry.keys + types.entryKeys,
                                             required: BlueprintShape.providerEntry.required)
            else { continue }
            guard let typeName = fields["type"].flatMap({ context.choice($0, at: here.key("type"), types.names) }),
                let type = types.type(named: typeName)
            else { continue }
            var spec = ProviderSpec(type: typeName)
            if let node = fields["connectivity"] {
                guard let c = context.choice(node, at: here.key("connectivity"), Connectivity.allCases.map(\.rawValue)),
                    let connectivity = Connectivity(rawValue: c)
                else { continue }
                guard type.connectivities.contains(connectivity) else {
                    context.report(here.key("connectivity"), "provider type \(quoted(typeName)) supports " + type.connectivities.map(\.rawValue).joined(separator: " and ") + ", not \(c)", at: node.position)
                    continue
                }
                spec.connectivity = connectivity
            }
            if let settings = fields["settings"] {
                guard case .object = settings.kind else {
                    context.report(here.key("settings"), "expected an object, found \(settings.typeName)", at: settings.position)
                    continue
                }
                spec.settings = settings.plain
            }
            spec.limits = ProviderLimits.decode(fields, here, &context)
            var entryOK = true
            for key in types.entryKeys where fields[key] != nil && !type.entryKeys.contains(key) {
                let owners = types.all.filter { $0.entryKeys.contains(key) }.map { quoted($0.name) }.joined(separator: " or ")
                context.report(here.key(key), "\(quoted(key)) is for providers of type \(owners)", at: fields[key]!.position)
                entryOK = false
            }
            guard entryOK, type.decodeEntry(fields, here, &spec, &context) else { continue }
            spec.traits = type.traits(spec)
            result[name] = spec
        }
        return result
    }

    static func decodeApps(
        _ node: JSONNode, _ path: @autoclosure () -> JSONPath, _ providers: [String: ProviderSpec], _ context: inout DecodingContext
    ) -> [String: AppSpec] {
        var result: [String: AppSpec] = [:]
        let entries = context.entries(of: node, at: path(), what: "an object of apps") ?? []
        result.reserveCapacity(entries.count)
        for (key, keyPosition, value) in entries {
            guard let name = context.name(key, at: path().key(key), position: keyPosition, what: "app"),
                let fields = context.members(of: value, at: path().key(key), shape: BlueprintShape.app)
            else { continue }
            let deploymentPath = fields["deploymentPath"].flatMap { decodeDeploymentPath($0, path().key(key).key("deploymentPath"), providers, &context) }
            let attributes = fields["attributes"].map { decodeAttributes($0, path().key(key).key("attributes"), &context) } ?? [:]
            let power = fields["power"].flatMap { context.choice($0, at: path().key(key).key("power"), ["on", "off"]) }.flatMap(Power.init(rawValue:))
            let waitForIP = fields["waitForIP"].flatMap { context.bool($0, at: path().key(key).key("waitForIP")) }
            guard let deploymentPath else { continue }
            result[name] = AppSpec(deploymentPath: deploymentPath, attributes: attributes, power: power ?? .on, waitForIP: waitForIP ?? true)
        }
        return result
    }

    static func decodeDeploymentPath(
        _ node: JSONNode, _ path: @autoclosure () -> JSONPath, _ providers: [String: ProviderSpec], _ context: inout DecodingContext
    ) -> DeploymentPath? {
        guard let fields = context.members(of: node, at: path(), shape: BlueprintShape.deploymentPath) else {
            return nil
        }
        let provider = fields["provider"].flatMap { providerReference($0, path().key("provider"), providers, &context) }
        let type = fields["deploymentType"].flatMap { context.string($0, at: path().key("deploymentType")) }
        var typeOK = type != nil
        if let type, let node = fields["deploymentType"] {
            if type.isEmpty || type.utf8.count > 256 {
                context.report(path().key("deploymentType"), "expected a non-empty string of at most 256 bytes", at: node.position)
                typeOK = false
            } else if ControlCharacters.containsControl(type) {
                context.report(path().key("deploymentType"), "expected no control characters or line breaks", at: node.position)
                typeOK = false
            }
        }
        let attributes = fields["attributes"].map { decodeAttributes($0, path().key("attributes"), &context, snapshots: true) } ?? [:]
        guard let provider, let type, typeOK else { return nil }
        return DeploymentPath(provider: provider, deploymentType: type, attributes: attributes)
    }

    /// Checks one setting given as an object: it must be `{"env": NAME}`, as an attribute would be.
    package static func decodeEnvSetting(_ key: String, _ node: JSONNode, _ path: JSONPath, _ context: inout DecodingContext) {
        _ = decodeAttributes(JSONNode(position: node.position, kind: .object([JSONNode.Member(key: key, keyPosition: node.position, value: node)])), path, &context)
    }

    /// A provider name that must name a provider of the blueprint.
    static func providerReference(
        _ node: JSONNode, _ path: @autoclosure () -> JSONPath, _ providers: [String: ProviderSpec], _ context: inout DecodingContext
    ) -> String? {
        guard let name = context.string(node, at: path()) else { return nil }
        if providers[name] != nil { return name }
        if context.broken.contains("provider \(name)") { return nil }
        var message = "unknown provider \(quoted(name))"
        if let hint = Spelling.closest(to: name, among: providers.keys.sorted()) { message += " (did you mean \(hint)?)" }
        else if providers.isEmpty { message += "; the blueprint defines no providers" }
        else { message += "; expected one of: " + providers.keys.sorted().joined(separator: ", ") }
        context.report(path(), message, at: node.position)
        return nil
    }

    /// `snapshots`: whether `{"snapshot": NAME}` is taken (as `image`, in a deployment path).
    static func decodeAttributes(_ node: JSONNode, _ path: @autoclosure () -> JSONPath, _ context: inout DecodingContext, snapshots: Bool = false) -> [String: AttributeValue] {
        var result: [String: AttributeValue] = [:]
        let entries = context.entries(of: node, at: path(), what: "an object of attributes") ?? []
        result.reserveCapacity(entries.count)
        for (key, keyPosition, value) in entries {
            // UTF-8 bytes below 0x20 are exactly the scalars below 0x20; a name of at most 200
            // bytes has at most 200 characters, so only longer ones are counted.
            if key.isEmpty || (key.utf8.count > 200 && key.count > 200) || key.utf8.contains(where: { $0 < 0x20 }) {
                context.report(path().key(key), "an attribute name must be 1 to 200 characters with no control characters", at: keyPosition)
                continue
            }
            switch value.kind {
            case .string(let s):
                result[key] = .literal(s)
            case .object:
                if snapshots, key == "image", value["snapshot"] != nil {
                    guard let fields = context.members(of: value, at: path().key(key), allowed: ["snapshot"], required: ["snapshot"]),
                        let node = fields["snapshot"], let name = context.name(node, at: path().key(key).key("snapshot"), what: "snapshot")
                    else { continue }
                    result[key] = .snapshot(name)
                    continue
                }
                if value["snapshot"] != nil {
                    context.report(path().key(key), snapshots ? "{\"snapshot\": NAME} is only taken by the deployment attribute \"image\""
                                   : "{\"snapshot\": NAME} is only taken by the deployment attribute \"image\" (in the app's deploymentPath)", at: value.position)
                    continue
                }
                guard let fields = context.members(of: value, at: path().key(key), shape: BlueprintShape.env),
                    let envNode = fields["env"], let env = context.string(envNode, at: path().key(key).key("env"))
                else { continue }
                if EnvironmentName.isValid(env) {
                    result[key] = .env(env)
                } else {
                    context.report(path().key(key).key("env"), "\(quoted(env)) is not an environment variable name; expected letters, digits and '_', not starting with a digit", at: envNode.position)
                }
            default:
                context.report(path().key(key), "expected a string or {\"env\": \"NAME\"}, found \(value.typeName)", at: value.position)
            }
        }
        return result
    }
}

/// The rule for environment variable names in `{"env": NAME}`.
enum EnvironmentName {
    static func isValid(_ name: String) -> Bool {
        // ASCII letters, digits and '_', so bytes and characters are the same thing here.
        let bytes = name.utf8
        guard let first = bytes.first, bytes.count <= 128, !(first >= 0x30 && first <= 0x39) else { return false }
        return bytes.allSatisfy { b in (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b == UInt8(ascii: "_") }
    }
}
