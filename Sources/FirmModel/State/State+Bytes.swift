import FirmBase

/// The state's JSON written straight from its values, without first building a `JSON` value:
/// the same bytes as `JSONWriter` writes for `json`, in a fraction of the time. The snapshot is
/// written this way at the end of every apply, and each journal line as its action completes.
/// `json` stays: `firm show --json` and etcd's values use it, and tests compare with it.
extension State {
    /// The snapshot's bytes: `JSONWriter(pretty: false).bytes(json)`.
    public var compactBytes: [UInt8] {
        let w = JSONWriter(pretty: false)
        var out: [UInt8] = []
        out.reserveCapacity(512 + apps.count * 420)
        out.append(UInt8(ascii: "{"))
        w.writeKey("version", first: true, into: &out, indent: 1)
        out.append(contentsOf: String(State.formatVersion).utf8)
        w.writeKey("lineage", first: false, into: &out, indent: 1)
        JSONWriter.writeString(lineage, into: &out)
        w.writeKey("serial", first: false, into: &out, indent: 1)
        out.append(contentsOf: String(serial).utf8)
        w.writeKey("blueprint", first: false, into: &out, indent: 1)
        JSONWriter.writeString(blueprint, into: &out)
        w.writeKey("apps", first: false, into: &out, indent: 1)
        w.writeObject(apps.keys.sorted(), into: &out, indent: 1, key: { $0 }) { name, out in apps[name]!.write(w, into: &out, indent: 2) }
        w.writeKey("intents", first: false, into: &out, indent: 1)
        w.writeObject(intents.keys.sorted(), into: &out, indent: 1, key: { $0 }) { id, out in intents[id]!.write(w, into: &out, indent: 2) }
        w.writeKey("networks", first: false, into: &out, indent: 1)
        w.writeObject(networks.keys.sorted(), into: &out, indent: 1, key: { $0 }) { name, out in w.write(networks[name]!.json, into: &out, indent: 2) }
        w.writeKey("infra", first: false, into: &out, indent: 1)
        w.writeObject(infra.keys.sorted(), into: &out, indent: 1, key: { $0 }) { name, out in w.write(infra[name]!.json, into: &out, indent: 2) }
        if let sandbox {
            w.writeKey("sandbox", first: false, into: &out, indent: 1)
            w.write(sandbox.json, into: &out, indent: 1)
        }
        if !snapshots.isEmpty {
            w.writeKey("snapshots", first: false, into: &out, indent: 1)
            w.writeObject(snapshots.keys.sorted(), into: &out, indent: 1, key: { $0 }) { name, out in w.write(snapshots[name]!.json, into: &out, indent: 2) }
        }
        out.append(UInt8(ascii: "}"))
        return out
    }
}

extension AppState {
    /// Appends `json` as `writer.write(json, indent: indent)` would.
    func write(_ w: JSONWriter, into out: inout [UInt8], indent: Int) {
        let inner = indent + 1
        var first = true
        func key(_ name: String, _ out: inout [UInt8]) {
            w.writeKey(name, first: first, into: &out, indent: inner)
            first = false
        }
        out.append(UInt8(ascii: "{"))
        if provider != deploymentPath.provider {
            key("provider", &out)
            JSONWriter.writeString(provider, into: &out)
        }
        key("deploymentPath", &out)
        deploymentPath.write(w, into: &out, indent: inner)
        if !attributes.isEmpty {
            key("attributes", &out)
            AttributeValue.write(attributes, w, into: &out, indent: inner)
        }
        key("vmName", &out)
        JSONWriter.writeString(vmName, into: &out)
        key("vmUuid", &out)
        JSONWriter.writeString(vmUuid, into: &out)
        key("address", &out)
        JSONWriter.writeString(address, into: &out)
        if !publicAddress.isEmpty {
            key("publicAddress", &out)
            JSONWriter.writeString(publicAddress, into: &out)
        }
        key("power", &out)
        JSONWriter.writeString(power.rawValue, into: &out)
        if !deployedAttributes.isEmpty {
            key("deployedAttributes", &out)
            w.writeSorted(deployedAttributes, into: &out, indent: inner)
        }
        if !additionalData.isEmpty {
            key("additionalData", &out)
            let data = additionalData
            w.writeObject(data.keys.sorted(), into: &out, indent: inner, key: { $0 }) { k, out in w.write(data[k]!, into: &out, indent: inner + 1) }
        }
        if !connections.isEmpty {
            key("connections", &out)
            let all = connections
            w.writeObject(all.keys.sorted(), into: &out, indent: inner, key: { $0 }) { k, out in w.write(all[k]!.json, into: &out, indent: inner + 1) }
        }
        w.newline(&out, indent)
        out.append(UInt8(ascii: "}"))
    }
}

extension Intent {
    /// Appends `json` as `writer.write(json, indent: indent)` would.
    func write(_ w: JSONWriter, into out: inout [UInt8], indent: Int) {
        let inner = indent + 1
        out.append(UInt8(ascii: "{"))
        func member(_ key: String, _ value: String, first: Bool = false) {
            w.writeKey(key, first: first, into: &out, indent: inner)
            JSONWriter.writeString(value, into: &out)
        }
        member("id", id, first: true)
        member("operation", operation.rawValue)
        member("app", app)
        member("provider", provider)
        member("vmName", vmName)
        member("vmUuid", vmUuid)
        member("started", started)
        if let deploymentPath {
            w.writeKey("deploymentPath", first: false, into: &out, indent: inner)
            deploymentPath.write(w, into: &out, indent: inner)
            w.writeKey("attributes", first: false, into: &out, indent: inner)
            AttributeValue.write(attributes, w, into: &out, indent: inner)
        }
        if let launch {
            w.writeKey("launch", first: false, into: &out, indent: inner)
            w.write(launch.json, into: &out, indent: inner)
        }
        w.newline(&out, indent)
        out.append(UInt8(ascii: "}"))
    }
}

extension DeploymentPath {
    /// Appends `json` as `writer.write(json, indent: indent)` would.
    func write(_ w: JSONWriter, into out: inout [UInt8], indent: Int) {
        out.append(UInt8(ascii: "{"))
        w.writeKey("provider", first: true, into: &out, indent: indent + 1)
        JSONWriter.writeString(provider, into: &out)
        w.writeKey("deploymentType", first: false, into: &out, indent: indent + 1)
        JSONWriter.writeString(deploymentType, into: &out)
        w.writeKey("attributes", first: false, into: &out, indent: indent + 1)
        AttributeValue.write(attributes, w, into: &out, indent: indent + 1)
        w.newline(&out, indent)
        out.append(UInt8(ascii: "}"))
    }
}

extension AttributeValue {
    /// Appends `AttributeValue.json(map)` as `writer.write(_:indent:)` would.
    static func write(_ map: [String: AttributeValue], _ w: JSONWriter, into out: inout [UInt8], indent: Int) {
        // Sorted as pairs: a lookup per key would hash each name again.
        w.writeObject(map.sorted { $0.key < $1.key }, into: &out, indent: indent, key: \.key) { member, out in
            switch member.value {
            case .literal(let text): JSONWriter.writeString(text, into: &out)
            case .env(let variable), .snapshot(let variable):
                out.append(UInt8(ascii: "{"))
                w.writeKey(member.value.isEnvReference ? "env" : "snapshot", first: true, into: &out, indent: indent + 2)
                JSONWriter.writeString(variable, into: &out)
                w.newline(&out, indent + 1)
                out.append(UInt8(ascii: "}"))
            }
        }
    }
}
