import FirmBase

/// The common case of reading a state snapshot, without a tree of its apps: as BlueprintFastPath
/// does for blueprints, the apps are decoded and checked straight from the bytes and the rest of
/// the document is parsed into a tree, with `"apps"` left empty, for `State.decode`.
///
/// An app is accepted only as `AppState.decode` and `State.decode` would accept it (valid names,
/// no two apps on one VM); anything else is a miss, and the caller decodes the whole file the
/// general way, which reports every problem with its position.
package enum StateFastPath {
    package static func read(_ bytes: [UInt8], file: String) -> State? {
        guard let read = JSONCursor.readApps(bytes, { cursor throws(JSONCursor.Miss) in try decodeApps(&cursor, expected: bytes.count / 300) }) else {
            return nil
        }
        var context = DecodingContext(file: file)
        guard let state = State.decode(read.root, &context, apps: read.apps), context.diagnostics.isEmpty else { return nil }
        return state
    }

    private static func decodeApps(_ cursor: inout JSONCursor, expected: Int) throws(JSONCursor.Miss) -> [String: AppState] {
        guard try cursor.beginObject() else { return [:] }
        var result = [String: AppState](minimumCapacity: expected)
        var vmNames = Set<String>(minimumCapacity: expected), vmUuids = Set<String>(minimumCapacity: expected)
        var caches = Caches()
        repeat {
            let name = try cursor.key().text
            guard Name.isValid(name) else { throw JSONCursor.Miss() }
            let app = try decodeApp(&cursor, &caches)
            // Two apps on one VM are reported by the general way.
            guard vmNames.insert(app.vmName).inserted, app.vmUuid.isEmpty || vmUuids.insert(app.vmUuid).inserted,
                result.updateValue(app, forKey: name) == nil
            else { throw JSONCursor.Miss() }
        } while try cursor.next()
        return result
    }

    /// What the last app held, which the next one often repeats.
    private struct Caches {
        var deploymentPath = ValueCache<DeploymentPath>()
        var attributes = ValueCache<[String: AttributeValue]>()
        var deployed = ValueCache<[String: String]>()
        var additional = ValueCache<[String: JSON]>()
    }

    private static func decodeApp(_ cursor: inout JSONCursor, _ caches: inout Caches) throws(JSONCursor.Miss) -> AppState {
        guard try cursor.beginObject() else { throw JSONCursor.Miss() }
        var seen = KeysSeen()
        var provider: String?, deploymentPath: DeploymentPath?, vmName: String?, vmUuid: String?, power: Power?
        var attributes: [String: AttributeValue] = [:]
        var address = "", publicAddress = ""
        var deployed: [String: String] = [:], additional: [String: JSON] = [:], connections: [String: Connection] = [:]
        repeat {
            let key = try cursor.key()
            if key.spells("deploymentPath") {
                try seen.insert(0)
                deploymentPath = try cursor.reusing(&caches.deploymentPath) { cursor throws(JSONCursor.Miss) in try BlueprintFastPath.decodeDeploymentPath(&cursor, checked: false) }
            } else if key.spells("attributes") {
                try seen.insert(1)
                attributes = try cursor.reusing(&caches.attributes) { cursor throws(JSONCursor.Miss) in try BlueprintFastPath.decodeAttributes(&cursor) }
            } else if key.spells("vmName") {
                try seen.insert(2)
                vmName = try cursor.string()
            } else if key.spells("vmUuid") {
                try seen.insert(3)
                vmUuid = try cursor.string()
            } else if key.spells("address") {
                try seen.insert(4)
                address = try cursor.string()
            } else if key.spells("power") {
                try seen.insert(5)
                power = try BlueprintFastPath.decodePower(&cursor)
            } else if key.spells("deployedAttributes") {
                try seen.insert(6)
                deployed = try cursor.reusing(&caches.deployed) { cursor throws(JSONCursor.Miss) in try decodeStrings(&cursor) }
            } else if key.spells("additionalData") {
                try seen.insert(7)
                additional = try cursor.reusing(&caches.additional) { cursor throws(JSONCursor.Miss) in try decodeAnything(&cursor) }
            } else if key.spells("publicAddress") {
                try seen.insert(8)
                publicAddress = try cursor.string()
            } else if key.spells("provider") {
                try seen.insert(9)
                provider = try cursor.string()
            } else if key.spells("connections") {
                try seen.insert(10)
                var context = DecodingContext(file: "")
                connections = AppState.connections(try cursor.value(), JSONPath(), &context)
                guard context.diagnostics.isEmpty else { throw JSONCursor.Miss() }
            } else if key.spells("pathDigest") || key.spells("vmDetails") {
                // Written before 0.2; read and dropped, as AppState.decode does.
                try seen.insert(key.spells("pathDigest") ? 11 : 12)
                _ = try cursor.value()
            } else {
                throw JSONCursor.Miss()
            }
        } while try cursor.next()
        guard let deploymentPath, let vmName, let vmUuid, let power else { throw JSONCursor.Miss() }
        let appProvider = provider ?? deploymentPath.provider
        guard Name.isValid(appProvider) else { throw JSONCursor.Miss() }
        var app = AppState(provider: appProvider, deploymentPath: deploymentPath, attributes: attributes, vmName: vmName, vmUuid: vmUuid,
                           address: address, publicAddress: publicAddress, power: power, deployedAttributes: deployed, additionalData: additional)
        app.connections = connections
        return app
    }

    /// An object of strings; a repeated key is a miss.
    private static func decodeStrings(_ cursor: inout JSONCursor) throws(JSONCursor.Miss) -> [String: String] {
        guard try cursor.beginObject() else { return [:] }
        var result = [String: String](minimumCapacity: 4)
        repeat {
            let key = try cursor.key().text
            guard result.updateValue(try cursor.string(), forKey: key) == nil else { throw JSONCursor.Miss() }
        } while try cursor.next()
        return result
    }

    /// An object of any values; a repeated key is a miss.
    private static func decodeAnything(_ cursor: inout JSONCursor) throws(JSONCursor.Miss) -> [String: JSON] {
        guard try cursor.beginObject() else { return [:] }
        var result = [String: JSON](minimumCapacity: 4)
        repeat {
            let key = try cursor.key().text
            let value: JSON = cursor.peek() == UInt8(ascii: "\"") ? .string(try cursor.string()) : try cursor.value().plain
            guard result.updateValue(value, forKey: key) == nil else { throw JSONCursor.Miss() }
        } while try cursor.next()
        return result
    }
}
