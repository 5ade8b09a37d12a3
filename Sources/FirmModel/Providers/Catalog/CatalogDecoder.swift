import FirmBase

/// Reads a catalog from settings or a driver's answer: every entry checked, every collection
/// bounded, every problem reported with its path.
public enum CatalogDecoder {
    /// The collections a catalog has, and its capabilities (their entries are checked by `decode`).
    public static let shape = ObjectShape(["hardwareProfiles", "images", "realms", "attributes", "capabilities"].map { .init($0, .anything) })
    /// The longest name, id or state a catalog may hold, in bytes.
    static let longestText = 256

    /// A catalog from a JSON node (settings), or nil with the problems in `context`.
    public static func decode(_ node: JSONNode, _ path: JSONPath, _ context: inout DecodingContext) -> ProviderCatalog? {
        let before = context.diagnostics.count
        guard let fields = context.members(of: node, at: path, shape: shape) else { return nil }
        var catalog = ProviderCatalog(listed: Set(ProviderCatalog.Collection.allCases.filter { fields[$0.rawValue] != nil }))
        catalog.hardwareProfiles = entries(fields["hardwareProfiles"], path.key("hardwareProfiles"), &context) { node, path, context in
            profile(node, path, &context)
        }
        catalog.images = entries(fields["images"], path.key("images"), &context) { node, path, context in
            guard let f = context.members(of: node, at: path, allowed: ["id", "name", "owner", "architecture", "state"], required: ["id"]),
                  let id = text(f["id"], path.key("id"), &context, required: true) else { return nil }
            return CatalogImage(id: id, name: text(f["name"], path.key("name"), &context) ?? "", owner: text(f["owner"], path.key("owner"), &context) ?? "",
                                architecture: text(f["architecture"], path.key("architecture"), &context) ?? "",
                                state: text(f["state"], path.key("state"), &context) ?? "")
        }
        catalog.realms = entries(fields["realms"], path.key("realms"), &context) { node, path, context in
            guard let f = context.members(of: node, at: path, allowed: ["id", "name", "state"], required: ["id"]),
                  let id = text(f["id"], path.key("id"), &context, required: true) else { return nil }
            return CatalogRealm(id: id, name: text(f["name"], path.key("name"), &context) ?? "", state: text(f["state"], path.key("state"), &context) ?? "")
        }
        if let node = fields["attributes"], let f = context.members(of: node, at: path.key("attributes"), allowed: CatalogAttributes.keys) {
            // Named attributes replace the defaults; null says the provider has no such attribute.
            func name(_ key: String, _ current: String?) -> String? {
                guard let node = f[key] else { return current }
                if case .null = node.kind { return nil }
                return text(node, path.key("attributes").key(key), &context, required: true)
            }
            let a = catalog.attributes
            catalog.attributes = CatalogAttributes(hardwareProfile: name("hardwareProfile", a.hardwareProfile), image: name("image", a.image),
                                                   realm: name("realm", a.realm), cpu: name("cpu", a.cpu), memoryMiB: name("memoryMiB", a.memoryMiB),
                                                   storageGiB: name("storageGiB", a.storageGiB))
        }
        if let node = fields["capabilities"], let f = context.entries(of: node, at: path.key("capabilities"), what: "an object of strings") {
            if f.count > ProviderCatalog.mostCapabilities {
                context.report(path.key("capabilities"), "\(f.count) capabilities; expected at most \(ProviderCatalog.mostCapabilities)", at: node.position)
            } else {
                for member in f {
                    let (key, _, value) = member
                    guard let text = text(value, path.key("capabilities").key(key), &context) else { continue }
                    if key.utf8.count > 64 || key.isEmpty { context.report(path.key("capabilities").key(key), "expected a name of 1 to 64 bytes", at: value.position) }
                    else { catalog.capabilities[key] = text }
                }
            }
        }
        return context.diagnostics.count == before ? catalog : nil
    }

    /// A catalog from a driver's answer, or the first problems, naming the provider.
    public static func decode(_ json: JSON, provider: String) throws(ProviderError) -> ProviderCatalog {
        var context = DecodingContext(file: "")
        if let catalog = decode(JSONNode(plain: json), JSONPath("catalog"), &context) { return catalog }
        let problems = context.diagnostics.prefix(3).map { "\($0.path): \($0.message)" }.joined(separator: "; ")
        let more = context.diagnostics.count > 3 ? " (and \(context.diagnostics.count - 3) more)" : ""
        throw ProviderError(provider: provider, operation: "catalog", message: "answered a catalog that is not valid: \(problems)\(more)")
    }

    static func profile(_ node: JSONNode, _ path: JSONPath, _ context: inout DecodingContext) -> HardwareProfile? {
        guard let f = context.members(of: node, at: path, allowed: ["name", "architecture"] + CatalogDimension.allCases.map(\.rawValue), required: ["name"]),
              let name = text(f["name"], path.key("name"), &context, required: true) else { return nil }
        var profile = HardwareProfile(name: name, architecture: text(f["architecture"], path.key("architecture"), &context) ?? "")
        for dimension in CatalogDimension.allCases {
            guard let node = f[dimension.rawValue], let value = CatalogValue.decode(node, path.key(dimension.rawValue), &context) else { continue }
            switch dimension {
            case .cpu: profile.cpu = value
            case .memoryMiB: profile.memoryMiB = value
            case .storageGiB: profile.storageGiB = value
            }
        }
        return profile
    }

    /// A short printable string: no control characters, at most `longestText` bytes.
    static func text(_ node: JSONNode?, _ path: JSONPath, _ context: inout DecodingContext, required: Bool = false) -> String? {
        guard let node, let s = context.string(node, at: path) else { return nil }
        if s.utf8.count > longestText || s.unicodeScalars.contains(where: ControlCharacters.isControl) || (required && s.isEmpty) {
            context.report(path, "expected \(required ? "a non-empty" : "a") string of at most \(longestText) bytes without control characters", at: node.position)
            return nil
        }
        return s
    }

    /// The entries of an array, each read by `read`, at most `mostEntries`.
    static func entries<T>(_ node: JSONNode?, _ path: JSONPath, _ context: inout DecodingContext,
                           _ read: (JSONNode, JSONPath, inout DecodingContext) -> T?) -> [T] {
        guard let node, let items = context.array(node, at: path) else { return [] }
        guard items.count <= ProviderCatalog.mostEntries else {
            context.report(path, "\(items.count) entries; a catalog takes at most \(ProviderCatalog.mostEntries) of each kind", at: node.position)
            return []
        }
        return items.enumerated().compactMap { i, item in read(item, path.index(i), &context) }
    }
}
