/// The state file's JSON form. Tools outside this repo read `apps.<name>.vmName`, `vmUuid`,
/// `address` and `power`, so those keys are stable.
extension State {
    public var json: JSON {
        [
            "version": .int(State.formatVersion),
            "lineage": .string(lineage),
            "serial": .int(serial),
            "blueprint": .string(blueprint),
            "apps": .object(JSONObject(apps.keys.sorted().map { ($0, apps[$0]!.json) })),
            "intents": .object(JSONObject(intents.keys.sorted().map { ($0, intents[$0]!.json) })),
        ]
    }

    /// Decodes a state document, reporting every problem with its path.
    static func decode(_ node: JSONNode, _ context: inout DecodingContext) -> State? {
        let path = JSONPath()
        guard let fields = context.members(of: node, at: path, allowed: ["version", "lineage", "serial", "blueprint", "apps", "intents"],
                                           required: ["version", "lineage", "serial", "blueprint", "apps"]) else { return nil }
        if let v = fields["version"].flatMap({ context.int($0, at: path.key("version")) }), v != State.formatVersion {
            context.report(path.key("version"), "state format version \(v) is not supported; this firm reads version \(State.formatVersion)", at: fields["version"]!.position)
            return nil
        }
        guard let lineage = fields["lineage"].flatMap({ context.string($0, at: path.key("lineage")) }),
            let serial = fields["serial"].flatMap({ context.int($0, at: path.key("serial")) }),
            let blueprint = fields["blueprint"].flatMap({ context.string($0, at: path.key("blueprint")) })
        else { return nil }
        var state = State(lineage: lineage, serial: serial, blueprint: blueprint)
        for (name, _, value) in fields["apps"].flatMap({ context.entries(of: $0, at: path.key("apps"), what: "an object of apps") }) ?? [] {
            if let app = AppState.decode(value, path.key("apps").key(name), &context) { state.apps[name] = app }
        }
        for (id, _, value) in fields["intents"].flatMap({ context.entries(of: $0, at: path.key("intents"), what: "an object of intents") }) ?? [] {
            if let intent = Intent.decode(value, path.key("intents").key(id), &context) { state.intents[id] = intent }
        }
        return state
    }
}

extension AppState {
    public var json: JSON {
        [
            "provider": .string(provider),
            "deploymentPath": deploymentPath.json,
            "pathDigest": .string(pathDigest),
            "attributes": AttributeValue.json(attributes),
            "vmName": .string(vmName),
            "vmUuid": .string(vmUuid),
            "address": .string(address),
            "publicAddress": .string(publicAddress),
            "power": .string(power.rawValue),
            "deployedAttributes": .sortedObject(deployedAttributes),
            "additionalData": .sortedObject(additionalData),
            "vmDetails": vmDetails,
        ]
    }

    static let keys = ["provider", "deploymentPath", "pathDigest", "attributes", "vmName", "vmUuid", "address",
                       "publicAddress", "power", "deployedAttributes", "additionalData", "vmDetails"]

    static func decode(_ node: JSONNode, _ path: JSONPath, _ context: inout DecodingContext) -> AppState? {
        guard let f = context.members(of: node, at: path, allowed: keys, required: ["provider", "deploymentPath", "vmName", "vmUuid", "power"]) else { return nil }
        func string(_ key: String) -> String? { f[key].flatMap { context.string($0, at: path.key(key)) } }
        func map(_ key: String) -> [String: String] {
            guard let node = f[key] else { return [:] }
            if let m = node.plain.stringMap { return m }
            context.report(path.key(key), "expected an object of strings", at: node.position)
            return [:]
        }
        guard let provider = string("provider"), let vmName = string("vmName"), let vmUuid = string("vmUuid"),
            let powerText = f["power"].flatMap({ context.choice($0, at: path.key("power"), ["on", "off"]) }),
            let pathNode = f["deploymentPath"],
            let deploymentPath = decodePath(pathNode, path.key("deploymentPath"), &context)
        else { return nil }
        let attributes = f["attributes"].map { BlueprintDecoder.decodeAttributes($0, path.key("attributes"), &context) } ?? [:]
        return AppState(provider: provider, deploymentPath: deploymentPath, attributes: attributes, vmName: vmName, vmUuid: vmUuid,
                        address: string("address") ?? "", publicAddress: string("publicAddress") ?? "", power: Power(rawValue: powerText)!,
                        deployedAttributes: map("deployedAttributes"), additionalData: map("additionalData"), vmDetails: f["vmDetails"]?.plain ?? .null,
                        pathDigest: string("pathDigest"))
    }

    static func decodePath(_ node: JSONNode, _ path: JSONPath, _ context: inout DecodingContext) -> DeploymentPath? {
        guard let f = context.members(of: node, at: path, allowed: ["provider", "deploymentType", "attributes"], required: ["provider", "deploymentType"]),
            let provider = f["provider"].flatMap({ context.string($0, at: path.key("provider")) }),
            let type = f["deploymentType"].flatMap({ context.string($0, at: path.key("deploymentType")) })
        else { return nil }
        let attributes = f["attributes"].map { BlueprintDecoder.decodeAttributes($0, path.key("attributes"), &context) } ?? [:]
        return DeploymentPath(provider: provider, deploymentType: type, attributes: attributes)
    }
}

extension Intent {
    public var json: JSON {
        var o = JSONObject([
            ("id", .string(id)), ("operation", .string(operation.rawValue)), ("app", .string(app)), ("provider", .string(provider)),
            ("vmName", .string(vmName)), ("vmUuid", .string(vmUuid)), ("started", .string(started)),
        ])
        if let deploymentPath {
            o["deploymentPath"] = deploymentPath.json
            o["attributes"] = AttributeValue.json(attributes)
        }
        return .object(o)
    }

    static func decode(_ node: JSONNode, _ path: JSONPath, _ context: inout DecodingContext) -> Intent? {
        let keys = ["id", "operation", "app", "provider", "vmName", "vmUuid", "started"]
        guard let f = context.members(of: node, at: path, allowed: keys + ["deploymentPath", "attributes"], required: keys) else { return nil }
        func string(_ key: String) -> String? { f[key].flatMap { context.string($0, at: path.key(key)) } }
        guard let id = string("id"), let op = f["operation"].flatMap({ context.choice($0, at: path.key("operation"), Operation.allCases.map(\.rawValue)) }),
            let app = string("app"), let provider = string("provider"), let vmName = string("vmName"),
            let vmUuid = string("vmUuid"), let started = string("started")
        else { return nil }
        let deploymentPath = f["deploymentPath"].flatMap { AppState.decodePath($0, path.key("deploymentPath"), &context) }
        let attributes = f["attributes"].map { BlueprintDecoder.decodeAttributes($0, path.key("attributes"), &context) } ?? [:]
        return Intent(id: id, operation: Operation(rawValue: op)!, app: app, provider: provider, vmName: vmName, vmUuid: vmUuid, started: started,
                      deploymentPath: deploymentPath, attributes: attributes)
    }
}

extension StateChange {
    /// The journal form of the change, stamped with the serial it produces.
    func json(serial: Int) -> JSON {
        switch self {
        case .putApp(let name, let app): ["serial": .int(serial), "op": "putApp", "app": .string(name), "value": app.json]
        case .removeApp(let name): ["serial": .int(serial), "op": "removeApp", "app": .string(name)]
        case .beginIntent(let intent): ["serial": .int(serial), "op": "beginIntent", "value": intent.json]
        case .endIntent(let id): ["serial": .int(serial), "op": "endIntent", "id": .string(id)]
        }
    }

    static func decode(_ node: JSONNode, _ context: inout DecodingContext) -> (serial: Int, change: StateChange)? {
        let path = JSONPath()
        guard let f = context.members(of: node, at: path, allowed: ["serial", "op", "app", "value", "id"], required: ["serial", "op"]),
            let serial = f["serial"].flatMap({ context.int($0, at: path.key("serial")) }),
            let op = f["op"].flatMap({ context.choice($0, at: path.key("op"), ["putApp", "removeApp", "beginIntent", "endIntent"]) })
        else { return nil }
        func need(_ key: String) -> JSONNode? {
            if let n = f[key] { return n }
            context.report(path, "missing required key \(quoted(key))", at: node.position)
            return nil
        }
        switch op {
        case "putApp":
            guard let name = need("app").flatMap({ context.string($0, at: path.key("app")) }),
                let app = need("value").flatMap({ AppState.decode($0, path.key("value"), &context) }) else { return nil }
            return (serial, .putApp(name, app))
        case "removeApp":
            guard let name = need("app").flatMap({ context.string($0, at: path.key("app")) }) else { return nil }
            return (serial, .removeApp(name))
        case "beginIntent":
            guard let intent = need("value").flatMap({ Intent.decode($0, path.key("value"), &context) }) else { return nil }
            return (serial, .beginIntent(intent))
        default:
            guard let id = need("id").flatMap({ context.string($0, at: path.key("id")) }) else { return nil }
            return (serial, .endIntent(id))
        }
    }
}
