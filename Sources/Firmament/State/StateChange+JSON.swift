/// The journal form of state changes.
extension StateChange {
    /// The journal form of the change, stamped with the serial it produces.
    func json(serial: Int) -> JSON {
        switch self {
        case .putApp(let name, let app): ["serial": .int(serial), "op": "putApp", "app": .string(name), "value": app.json]
        case .setPower(let name, let power): ["serial": .int(serial), "op": "setPower", "app": .string(name), "power": .string(power.rawValue)]
        case .setAddresses(let name, let a):
            ["serial": .int(serial), "op": "setAddresses", "app": .string(name), "address": .string(a.privateAddress), "publicAddress": .string(a.publicAddress)]
        case .removeApp(let name): ["serial": .int(serial), "op": "removeApp", "app": .string(name)]
        case .beginIntent(let intent): ["serial": .int(serial), "op": "beginIntent", "value": intent.json]
        case .endIntent(let id): ["serial": .int(serial), "op": "endIntent", "id": .string(id)]
        case .putNetwork(let name, let n): ["serial": .int(serial), "op": "putNetwork", "name": .string(name), "value": n.json]
        case .removeNetwork(let name): ["serial": .int(serial), "op": "removeNetwork", "name": .string(name)]
        case .putInfra(let provider, let i): ["serial": .int(serial), "op": "putInfra", "name": .string(provider), "value": i.json]
        case .removeInfra(let provider): ["serial": .int(serial), "op": "removeInfra", "name": .string(provider)]
        case .putSandbox(let record): ["serial": .int(serial), "op": "putSandbox", "value": record.json]
        }
    }

    static func decode(_ node: JSONNode, _ context: inout DecodingContext) -> (serial: Int, change: StateChange)? {
        let path = JSONPath()
        guard let f = context.members(of: node, at: path, allowed: ["serial", "op", "app", "value", "id", "name", "power", "address", "publicAddress"], required: ["serial", "op"]),
            let serial = f["serial"].flatMap({ context.int($0, at: path.key("serial"), in: 1...State.maxSerial) }),
            let op = f["op"].flatMap({ context.choice($0, at: path.key("op"), ["putApp", "setPower", "setAddresses", "removeApp", "beginIntent", "endIntent", "putNetwork", "removeNetwork", "putInfra", "removeInfra", "putSandbox"]) })
        else { return nil }
        func need(_ key: String) -> JSONNode? {
            if let n = f[key] { return n }
            context.report(path, "missing required key \(quoted(key))", at: node.position)
            return nil
        }
        /// A name member, checked against the name rule.
        func named(_ key: String, _ what: String) -> String? {
            need(key).flatMap { context.name($0, at: path.key(key), what: what) }
        }
        switch op {
        case "putApp":
            guard let name = named("app", "app"),
                let app = need("value").flatMap({ AppState.decode($0, path.key("value"), &context) }) else { return nil }
            return (serial, .putApp(name, app))
        case "setPower":
            guard let name = named("app", "app"),
                let power = need("power").flatMap({ context.choice($0, at: path.key("power"), ["on", "off"]) }).flatMap(Power.init(rawValue:))
            else { return nil }
            return (serial, .setPower(name, power))
        case "setAddresses":
            guard let name = named("app", "app"),
                let address = need("address").flatMap({ context.string($0, at: path.key("address")) }),
                let publicAddress = need("publicAddress").flatMap({ context.string($0, at: path.key("publicAddress")) })
            else { return nil }
            return (serial, .setAddresses(name, Addresses(privateAddress: address, publicAddress: publicAddress)))
        case "removeApp":
            guard let name = named("app", "app") else { return nil }
            return (serial, .removeApp(name))
        case "beginIntent":
            guard let intent = need("value").flatMap({ Intent.decode($0, path.key("value"), &context) }) else { return nil }
            return (serial, .beginIntent(intent))
        case "endIntent":
            guard let id = need("id").flatMap({ context.string($0, at: path.key("id")) }) else { return nil }
            return (serial, .endIntent(id))
        case "putNetwork":
            guard let name = named("name", "network"),
                let n = need("value").flatMap({ NetworkState.decode($0, path.key("value"), &context) }) else { return nil }
            return (serial, .putNetwork(name, n))
        case "putInfra":
            guard let name = named("name", "provider"),
                let i = need("value").flatMap({ InfraState.decode($0, path.key("value"), &context) }) else { return nil }
            return (serial, .putInfra(name, i))
        case "putSandbox":
            guard let record = need("value").flatMap({ SandboxRecord.decode($0, path.key("value"), &context) }) else { return nil }
            return (serial, .putSandbox(record))
        default:
            guard let name = named("name", op == "removeNetwork" ? "network" : "provider") else { return nil }
            return (serial, op == "removeNetwork" ? .removeNetwork(name) : .removeInfra(name))
        }
    }
}
