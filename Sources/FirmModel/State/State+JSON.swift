import FirmBase

/// The state file's JSON form. Tools outside this repo read `apps.<name>.vmName`, `vmUuid`,
/// `address` and `power`, so those keys are stable.
extension State {
    public var json: JSON {
        let base: JSON = [
            "version": .int(State.formatVersion),
            "lineage": .string(lineage),
            "serial": .int(serial),
            "blueprint": .string(blueprint),
            "apps": .object(JSONObject(apps.keys.sorted().map { ($0, apps[$0]!.json) })),
            "intents": .object(JSONObject(intents.keys.sorted().map { ($0, intents[$0]!.json) })),
            "networks": .object(JSONObject(networks.keys.sorted().map { ($0, networks[$0]!.json) })),
            "infra": .object(JSONObject(infra.keys.sorted().map { ($0, infra[$0]!.json) })),
        ]
        guard sandbox != nil || !snapshots.isEmpty, case .object(var o) = base else { return base }
        if let sandbox { o["sandbox"] = sandbox.json }
        // Written only when there are some, so that a state without snapshots stays as before.
        if !snapshots.isEmpty { o["snapshots"] = .object(JSONObject(snapshots.keys.sorted().map { ($0, snapshots[$0]!.json) })) }
        return .object(o)
    }

    /// Decodes a state document, reporting every problem with its path.
    /// `apps` are the apps already decoded and checked (by StateFastPath), used instead of
    /// `node`'s.
    package static func decode(_ node: JSONNode, _ context: inout DecodingContext, apps decodedApps: [String: AppState]? = nil) -> State? {
        let path = JSONPath()
        guard let fields = context.members(of: node, at: path, allowed: ["version", "lineage", "serial", "blueprint", "apps", "intents", "networks", "infra", "sandbox", "snapshots"],
                                           required: ["version", "lineage", "serial", "blueprint", "apps"]) else { return nil }
        if let v = fields["version"].flatMap({ context.int($0, at: path.key("version")) }), v != State.formatVersion {
            context.report(path.key("version"), "state format version \(v) is not supported; this firm reads version \(State.formatVersion)", at: fields["version"]!.position)
            return nil
        }
        guard let lineage = fields["lineage"].flatMap({ context.string($0, at: path.key("lineage")) }),
            let serial = fields["serial"].flatMap({ context.int($0, at: path.key("serial"), in: 0...State.maxSerial) }),
            let blueprint = fields["blueprint"].flatMap({ context.string($0, at: path.key("blueprint")) })
        else { return nil }
        var state = State(lineage: lineage, serial: serial, blueprint: blueprint)
        if let node = fields["blueprint"] { _ = context.name(blueprint, at: path.key("blueprint"), position: node.position, what: "blueprint") }
        let apps = decodedApps != nil ? [] : fields["apps"].flatMap({ context.entries(of: $0, at: path.key("apps"), what: "an object of apps") }) ?? []
        // Made at their final size; `decodedApps` is used as it is (reserving room in it would
        // copy all of it).
        if let decodedApps { state.apps = decodedApps } else { state.apps = Dictionary(minimumCapacity: apps.count) }
        var vmNames = [String: String](minimumCapacity: apps.count), vmUuids = [String: String](minimumCapacity: apps.count)
        for (name, position, value) in apps {
            guard context.name(name, at: path.key("apps").key(name), position: position, what: "app") != nil,
                let app = AppState.decode(value, path.key("apps").key(name), &context)
            else { continue }
            // Two apps on one VM would let a change to one delete the other's VM.
            if let other = vmNames[app.vmName] {
                context.report(path.key("apps").key(name).key("vmName"), "app.\(other) has the same VM name \(quoted(app.vmName))", at: value.position)
            }
            if !app.vmUuid.isEmpty, let other = vmUuids[app.vmUuid] {
                context.report(path.key("apps").key(name).key("vmUuid"), "app.\(other) has the same VM uuid \(quoted(app.vmUuid))", at: value.position)
            }
            vmNames[app.vmName] = name
            if !app.vmUuid.isEmpty { vmUuids[app.vmUuid] = name }
            state.apps[name] = app
        }
        for (id, _, value) in fields["intents"].flatMap({ context.entries(of: $0, at: path.key("intents"), what: "an object of intents") }) ?? [] {
            if let intent = Intent.decode(value, path.key("intents").key(id), &context) {
                _ = context.name(intent.app, at: path.key("intents").key(id).key("app"), position: value.position, what: "app")
                state.intents[id] = intent
            }
        }
        for (name, position, value) in fields["networks"].flatMap({ context.entries(of: $0, at: path.key("networks"), what: "an object of networks") }) ?? [] {
            guard context.name(name, at: path.key("networks").key(name), position: position, what: "network") != nil else { continue }
            if let network = NetworkState.decode(value, path.key("networks").key(name), &context) { state.networks[name] = network }
        }
        for (name, position, value) in fields["infra"].flatMap({ context.entries(of: $0, at: path.key("infra"), what: "an object of providers") }) ?? [] {
            guard context.name(name, at: path.key("infra").key(name), position: position, what: "provider") != nil else { continue }
            if let infra = InfraState.decode(value, path.key("infra").key(name), &context) { state.infra[name] = infra }
        }
        if let node = fields["sandbox"] {
            state.sandbox = SandboxRecord.decode(node, path.key("sandbox"), &context)
        }
        for (name, position, value) in fields["snapshots"].flatMap({ context.entries(of: $0, at: path.key("snapshots"), what: "an object of snapshots") }) ?? [] {
            guard context.name(name, at: path.key("snapshots").key(name), position: position, what: "snapshot") != nil else { continue }
            if let record = SnapshotRecord.decode(value, path.key("snapshots").key(name), &context) { state.snapshots[name] = record }
        }
        return state
    }
}

extension AppState {
    /// Members that would be empty are left out (a reader takes them as empty), so that the
    /// state stays small: a few hundred bytes an app.
    public var json: JSON {
        // `provider` is written only where it differs from the deployment path's (never, as firm
        // writes states; a reader takes the path's).
        var o = JSONObject(provider == deploymentPath.provider ? [] : [("provider", .string(provider))])
        o["deploymentPath"] = deploymentPath.json
        if !attributes.isEmpty { o["attributes"] = AttributeValue.json(attributes) }
        o["vmName"] = .string(vmName)
        o["vmUuid"] = .string(vmUuid)
        o["address"] = .string(address)
        if !publicAddress.isEmpty { o["publicAddress"] = .string(publicAddress) }
        o["power"] = .string(power.rawValue)
        if !deployedAttributes.isEmpty { o["deployedAttributes"] = .sortedObject(deployedAttributes) }
        if !additionalData.isEmpty { o["additionalData"] = .sortedObject(additionalData) }
        if !connections.isEmpty { o["connections"] = .object(JSONObject(connections.keys.sorted().map { ($0, connections[$0]!.json) })) }
        return .object(o)
    }

    /// `pathDigest` and `vmDetails` were written by firm before 0.2; they are read and dropped.
    static let keys = ["provider", "deploymentPath", "pathDigest", "attributes", "vmName", "vmUuid", "address",
                       "publicAddress", "power", "deployedAttributes", "additionalData", "vmDetails", "connections"]

    package static func decode(_ node: JSONNode, _ path: @autoclosure () -> JSONPath, _ context: inout DecodingContext) -> AppState? {
        guard let f = context.members(of: node, at: path(), allowed: keys, required: ["deploymentPath", "vmName", "vmUuid", "power"]) else { return nil }
        func string(_ key: String) -> String? { f[key].flatMap { context.string($0, at: path().key(key)) } }
        func map(_ key: String) -> [String: String] { f[key].map { stringMap($0, path().key(key), &context) } ?? [:] }
        guard let vmName = string("vmName"), let vmUuid = string("vmUuid"),
            let powerText = f["power"].flatMap({ context.choice($0, at: path().key("power"), ["on", "off"]) }),
            let pathNode = f["deploymentPath"],
            let deploymentPath = decodePath(pathNode, path().key("deploymentPath"), &context)
        else { return nil }
        // Without its own `provider`, the app's provider is its deployment path's.
        guard let provider = f["provider"] == nil ? deploymentPath.provider : string("provider"),
            context.name(provider, at: f["provider"] == nil ? path().key("deploymentPath").key("provider") : path().key("provider"), position: (f["provider"] ?? pathNode).position, what: "provider") != nil
        else { return nil }
        let attributes = f["attributes"].map { BlueprintDecoder.decodeAttributes($0, path().key("attributes"), &context) } ?? [:]
        var app = AppState(provider: provider, deploymentPath: deploymentPath, attributes: attributes, vmName: vmName, vmUuid: vmUuid,
                           address: string("address") ?? "", publicAddress: string("publicAddress") ?? "", power: Power(rawValue: powerText)!,
                           deployedAttributes: map("deployedAttributes"), additionalData: f["additionalData"].map { jsonMap($0, path().key("additionalData"), &context) } ?? [:])
        if let node = f["connections"] { app.connections = connections(node, path().key("connections"), &context) }
        return app
    }

    /// `deployedAttributes`: an object of strings (a repeated key keeps its last value).
    static func stringMap(_ node: JSONNode, _ path: @autoclosure () -> JSONPath, _ context: inout DecodingContext) -> [String: String] {
        if let m = node.plain.stringMap { return m }
        context.report(path(), "expected an object of strings", at: node.position)
        return [:]
    }

    /// `additionalData`: an object of any values (a repeated key keeps its last value).
    static func jsonMap(_ node: JSONNode, _ path: @autoclosure () -> JSONPath, _ context: inout DecodingContext) -> [String: JSON] {
        guard case .object(let o) = node.plain else {
            context.report(path(), "expected an object", at: node.position)
            return [:]
        }
        var out: [String: JSON] = [:]
        for k in o.keys { out[k] = o[k] }
        return out
    }

    /// `connections`: an object of connections by network.
    static func connections(_ node: JSONNode, _ path: @autoclosure () -> JSONPath, _ context: inout DecodingContext) -> [String: Connection] {
        var result: [String: Connection] = [:]
        for (name, _, value) in context.entries(of: node, at: path(), what: "an object of connections") ?? [] {
            if let c = Connection.decode(value, path().key(name), &context) { result[name] = c }
        }
        return result
    }

    static func decodePath(_ node: JSONNode, _ path: @autoclosure () -> JSONPath, _ context: inout DecodingContext) -> DeploymentPath? {
        guard let f = context.members(of: node, at: path(), allowed: ["provider", "deploymentType", "attributes"], required: ["provider", "deploymentType"]),
            let provider = f["provider"].flatMap({ context.string($0, at: path().key("provider")) }),
            let type = f["deploymentType"].flatMap({ context.string($0, at: path().key("deploymentType")) })
        else { return nil }
        let attributes = f["attributes"].map { BlueprintDecoder.decodeAttributes($0, path().key("attributes"), &context, snapshots: true) } ?? [:]
        return DeploymentPath(provider: provider, deploymentType: type, attributes: attributes)
    }
}

extension LaunchSlot {
    public var json: JSON { ["token": .string(token), "index": .number(String(index))] }
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
        if let launch {
            o["launch"] = launch.json
        }
        return .object(o)
    }

    package static func decode(_ node: JSONNode, _ path: JSONPath, _ context: inout DecodingContext) -> Intent? {
        let keys = ["id", "operation", "app", "provider", "vmName", "vmUuid", "started"]
        guard let f = context.members(of: node, at: path, allowed: keys + ["deploymentPath", "attributes", "launch"], required: keys) else { return nil }
        func string(_ key: String) -> String? { f[key].flatMap { context.string($0, at: path.key(key)) } }
        guard let id = string("id"), let op = f["operation"].flatMap({ context.choice($0, at: path.key("operation"), Operation.allCases.map(\.rawValue)) }),
            let app = string("app"), let provider = string("provider"), let vmName = string("vmName"),
            let vmUuid = string("vmUuid"), let started = string("started")
        else { return nil }
        let deploymentPath = f["deploymentPath"].flatMap { AppState.decodePath($0, path.key("deploymentPath"), &context) }
        let attributes = f["attributes"].map { BlueprintDecoder.decodeAttributes($0, path.key("attributes"), &context) } ?? [:]
        var launch: LaunchSlot?
        if let node = f["launch"], let l = context.members(of: node, at: path.key("launch"), allowed: ["token", "index"], required: ["token", "index"]) {
            let token = l["token"].flatMap { context.string($0, at: path.key("launch").key("token")) }
            let index = l["index"].flatMap { context.int($0, at: path.key("launch").key("index"), in: 0...1_000_000) }
            guard let token, let index else { return nil }
            launch = LaunchSlot(token: token, index: index)
        } else if f["launch"] != nil {
            return nil
        }
        return Intent(id: id, operation: Operation(rawValue: op)!, app: app, provider: provider, vmName: vmName, vmUuid: vmUuid, started: started,
                      deploymentPath: deploymentPath, attributes: attributes, launch: launch)
    }
}


extension State {
    /// A description of two apps that share a VM name or uuid, if any do.
    package func sharedVM() -> String? {
        var names: [String: String] = [:], uuids: [String: String] = [:]
        for name in apps.keys.sorted() {
            let app = apps[name]!
            if let other = names[app.vmName] { return "apps.\(name): app.\(other) has the same VM name \(quoted(app.vmName))" }
            if !app.vmUuid.isEmpty, let other = uuids[app.vmUuid] { return "apps.\(name): app.\(other) has the same VM uuid \(quoted(app.vmUuid))" }
            names[app.vmName] = name
            if !app.vmUuid.isEmpty { uuids[app.vmUuid] = name }
        }
        return nil
    }
}
