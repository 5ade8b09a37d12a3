import FirmBase

/// The journal form of state changes.
extension StateChange {
    /// Appends the journal form of the change, stamped with the serial it produces: one compact
    /// JSON object, written straight from the change. An app's value is the same as its `json`.
    package func write(serial: Int, into out: inout [UInt8]) {
        let w = JSONWriter(pretty: false)
        func member(_ key: String, _ text: String, _ out: inout [UInt8]) {
            w.writeKey(key, first: false, into: &out, indent: 1)
            JSONWriter.writeString(text, into: &out)
        }
        func value(_ json: JSON, _ out: inout [UInt8]) {
            w.writeKey("value", first: false, into: &out, indent: 1)
            w.write(json, into: &out, indent: 1)
        }
        out.append(UInt8(ascii: "{"))
        w.writeKey("serial", first: true, into: &out, indent: 1)
        out.append(contentsOf: String(serial).utf8)
        switch self {
        case .putApp(let name, let app):
            member("op", "putApp", &out)
            member("app", name, &out)
            w.writeKey("value", first: false, into: &out, indent: 1)
            app.write(w, into: &out, indent: 1)
        case .setPower(let name, let power):
            member("op", "setPower", &out)
            member("app", name, &out)
            member("power", power.rawValue, &out)
        case .setAddresses(let name, let a):
            member("op", "setAddresses", &out)
            member("app", name, &out)
            member("address", a.privateAddress, &out)
            member("publicAddress", a.publicAddress, &out)
        case .removeApp(let name):
            member("op", "removeApp", &out)
            member("app", name, &out)
        case .beginIntent(let intent):
            member("op", "beginIntent", &out)
            w.writeKey("value", first: false, into: &out, indent: 1)
            intent.write(w, into: &out, indent: 1)
        case .endIntent(let id):
            member("op", "endIntent", &out)
            member("id", id, &out)
        case .putNetwork(let name, let n):
            member("op", "putNetwork", &out)
            member("name", name, &out)
            value(n.json, &out)
        case .removeNetwork(let name):
            member("op", "removeNetwork", &out)
            member("name", name, &out)
        case .putInfra(let provider, let i):
            member("op", "putInfra", &out)
            member("name", provider, &out)
            value(i.json, &out)
        case .removeInfra(let provider):
            member("op", "removeInfra", &out)
            member("name", provider, &out)
        case .putSandbox(let record):
            member("op", "putSandbox", &out)
            value(record.json, &out)
        case .putSnapshot(let name, let record):
            member("op", "putSnapshot", &out)
            member("name", name, &out)
            value(record.json, &out)
        case .removeSnapshot(let name):
            member("op", "removeSnapshot", &out)
            member("name", name, &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    package static func decode(_ node: JSONNode, _ context: inout DecodingContext) -> (serial: Int, change: StateChange)? {
        let path = JSONPath()
        guard let f = context.members(of: node, at: path, allowed: ["serial", "op", "app", "value", "id", "name", "power", "address", "publicAddress"], required: ["serial", "op"]),
            let serial = f["serial"].flatMap({ context.int($0, at: path.key("serial"), in: 1...State.maxSerial) }),
            let op = f["op"].flatMap({ context.choice($0, at: path.key("op"), ["putApp", "setPower", "setAddresses", "removeApp", "beginIntent", "endIntent", "putNetwork", "removeNetwork", "putInfra", "removeInfra", "putSandbox", "putSnapshot", "removeSnapshot"]) })
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
        case "putSnapshot":
            guard let name = named("name", "snapshot"),
                let record = need("value").flatMap({ SnapshotRecord.decode($0, path.key("value"), &context) }) else { return nil }
            return (serial, .putSnapshot(name, record))
        case "removeSnapshot":
            guard let name = named("name", "snapshot") else { return nil }
            return (serial, .removeSnapshot(name))
        default:
            guard let name = named("name", op == "removeNetwork" ? "network" : "provider") else { return nil }
            return (serial, op == "removeNetwork" ? .removeNetwork(name) : .removeInfra(name))
        }
    }
}
