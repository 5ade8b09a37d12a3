import FirmBase

/// The common case of reading a blueprint, without a tree of its apps: the apps, nearly all of a
/// large blueprint, are decoded and checked straight from the bytes, and the rest of the document
/// is parsed into a tree as usual, with `"apps"` left empty in it.
///
/// It decides nothing on its own. It accepts an app only as `BlueprintDecoder.decodeApps` would,
/// with the same checks; anything else (an error, a duplicate, an escape in a key, a value of
/// another type) is a miss, and the caller decodes the whole file the general way, which reports
/// every problem with its position. A test holds both ways to the same results on the same files.
enum BlueprintFastPath {
    /// The document with an empty `"apps"`, and the apps as decoded.
    struct Read {
        var root: JSONNode
        var apps: [String: AppSpec]
    }

    static func read(_ bytes: [UInt8]) -> Read? {
        JSONCursor.readApps(bytes) { cursor throws(JSONCursor.Miss) in try decodeApps(&cursor, expected: bytes.count / 160) }
            .map { Read(root: $0.root, apps: $0.apps) }
    }

    private static func decodeApps(_ cursor: inout JSONCursor, expected: Int) throws(JSONCursor.Miss) -> [String: AppSpec] {
        guard try cursor.beginObject() else { return [:] }
        var result = [String: AppSpec](minimumCapacity: expected)
        var caches = Caches()
        repeat {
            let name = try cursor.key().text
            guard Name.isValid(name) else { throw JSONCursor.Miss() }
            guard result.updateValue(try decodeApp(&cursor, &caches), forKey: name) == nil else { throw JSONCursor.Miss() }
        } while try cursor.next()
        return result
    }

    /// The deployment path and attributes the last app had, which the next one often repeats.
    private struct Caches {
        var deploymentPath = ValueCache<DeploymentPath>()
        var attributes = ValueCache<[String: AttributeValue]>()
    }

    private static func decodeApp(_ cursor: inout JSONCursor, _ caches: inout Caches) throws(JSONCursor.Miss) -> AppSpec {
        guard try cursor.beginObject() else { throw JSONCursor.Miss() }
        var seen = KeysSeen()
        var deploymentPath: DeploymentPath?
        var attributes: [String: AttributeValue] = [:]
        var power = Power.on
        var waitForIP = true
        repeat {
            let key = try cursor.key()
            if key.spells("deploymentPath") {
                try seen.insert(0)
                deploymentPath = try cursor.reusing(&caches.deploymentPath) { cursor throws(JSONCursor.Miss) in try decodeDeploymentPath(&cursor, checked: true) }
            } else if key.spells("attributes") {
                try seen.insert(1)
                attributes = try cursor.reusing(&caches.attributes) { cursor throws(JSONCursor.Miss) in try decodeAttributes(&cursor) }
            } else if key.spells("power") {
                try seen.insert(2)
                power = try decodePower(&cursor)
            } else if key.spells("waitForIP") {
                try seen.insert(3)
                waitForIP = try cursor.bool()
            } else {
                throw JSONCursor.Miss()
            }
        } while try cursor.next()
        guard let deploymentPath else { throw JSONCursor.Miss() }
        return AppSpec(deploymentPath: deploymentPath, attributes: attributes, power: power, waitForIP: waitForIP)
    }

    /// A deployment path as `BlueprintDecoder.decodeDeploymentPath` accepts it (`checked`: its
    /// type is then also checked), or as `AppState.decodePath` reads it (not `checked`).
    static func decodeDeploymentPath(_ cursor: inout JSONCursor, checked: Bool) throws(JSONCursor.Miss) -> DeploymentPath {
        guard try cursor.beginObject() else { throw JSONCursor.Miss() }
        var seen = KeysSeen()
        var provider: String?
        var type: String?
        var attributes: [String: AttributeValue] = [:]
        repeat {
            let key = try cursor.key()
            if key.spells("provider") {
                try seen.insert(0)
                provider = try cursor.string()
            } else if key.spells("deploymentType") {
                try seen.insert(1)
                type = try cursor.string()
            } else if key.spells("attributes") {
                try seen.insert(2)
                attributes = try decodeAttributes(&cursor, snapshots: true)
            } else {
                throw JSONCursor.Miss()
            }
        } while try cursor.next()
        // The provider is checked against the blueprint's providers once they are known.
        guard let provider, let type, !checked || (!type.isEmpty && type.utf8.count <= 256 && !ControlCharacters.containsControl(type)) else {
            throw JSONCursor.Miss()
        }
        return DeploymentPath(provider: provider, deploymentType: type, attributes: attributes)
    }

    /// An object of attributes as `BlueprintDecoder.decodeAttributes` accepts it; the state's
    /// fast path reads attributes with it too.
    /// `snapshots`: whether `"image": {"snapshot": NAME}` is taken (in a deployment path).
    static func decodeAttributes(_ cursor: inout JSONCursor, snapshots: Bool = false) throws(JSONCursor.Miss) -> [String: AttributeValue] {
        guard try cursor.beginObject() else { return [:] }
        // Room for the few attributes an app has, at once rather than growing twice.
        var result = [String: AttributeValue](minimumCapacity: 4)
        repeat {
            let key = try cursor.key().text
            if key.isEmpty || (key.utf8.count > 200 && key.count > 200) || key.utf8.contains(where: { $0 < 0x20 }) { throw JSONCursor.Miss() }
            let value: AttributeValue
            switch cursor.peek() {
            case UInt8(ascii: "\""):
                value = .literal(try cursor.string())
            case UInt8(ascii: "{"):
                guard try cursor.beginObject() else { throw JSONCursor.Miss() }
                let member = try cursor.key()
                if snapshots && key == "image" && member.spells("snapshot") {
                    let name = try cursor.string()
                    guard !(try cursor.next()), Name.isValid(name) else { throw JSONCursor.Miss() }
                    value = .snapshot(name)
                } else {
                    guard member.spells("env") else { throw JSONCursor.Miss() }
                    let env = try cursor.string()
                    guard !(try cursor.next()), EnvironmentName.isValid(env) else { throw JSONCursor.Miss() }
                    value = .env(env)
                }
            default:
                throw JSONCursor.Miss()
            }
            guard result.updateValue(value, forKey: key) == nil else { throw JSONCursor.Miss() }
        } while try cursor.next()
        return result
    }

    /// `"on"` or `"off"`.
    static func decodePower(_ cursor: inout JSONCursor) throws(JSONCursor.Miss) -> Power {
        guard let power = Power(rawValue: try cursor.string()) else { throw JSONCursor.Miss() }
        return power
    }
}
