import FirmBase

/// One way an app's deployment falls outside its provider's catalog.
public struct CatalogProblem: Sendable, Equatable, CustomStringConvertible {
    public var app: String
    public var provider: String
    /// The JSON path of the attribute, such as `apps.web.deploymentPath.attributes.InstanceType`.
    public var path: String
    public var message: String

    public init(app: String, provider: String, path: String, message: String) {
        self.app = app
        self.provider = provider
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }

    public var json: JSON {
        ["app": .string(app), "provider": .string(provider), "path": .string(path), "message": .string(message)]
    }
}

/// Checks deployment attributes against a catalog: the hardware profile, the image, the realm,
/// and values within the profile's ranges. Only literal values are checked, and only against
/// the collections the catalog lists.
public enum CatalogCheck {
    /// How many offered names a message lists before "and N more".
    static let listed = 8

    /// The literal attributes of a deployment path: the only ones known before a deploy.
    public static func literals(_ deployment: DeploymentPath) -> [String: String] {
        deployment.attributes.compactMapValues { value in
            if case .literal(let s) = value { return s }
            return nil
        }
    }

    /// The blueprint's path of app `app`'s deployment attributes.
    public static func attributesPath(app: String) -> JSONPath {
        JSONPath("apps").key(app).key("deploymentPath").key("attributes")
    }

    /// Every problem with app `app`'s `attributes` on `provider`, whose catalog this is.
    public static func problems(app: String, provider: String, attributes: [String: String], catalog: ProviderCatalog) -> [CatalogProblem] {
        var found: [CatalogProblem] = []
        let here = attributesPath(app: app)
        func report(_ attribute: String, _ message: String) {
            found.append(CatalogProblem(app: app, provider: provider, path: here.key(attribute).description,
                                        message: "app \(quoted(app)) on provider \(quoted(provider)): " + message))
        }
        let names = catalog.attributes
        var profile: HardwareProfile?
        if let key = names.hardwareProfile, let wanted = attributes[key], catalog.listed.contains(.hardwareProfiles) {
            profile = catalog.hardwareProfiles.first { $0.name == wanted }
            if profile == nil { report(key, unknown("hardware profile", wanted, among: catalog.hardwareProfiles.map(\.name))) }
        }
        if let profile {
            for dimension in CatalogDimension.allCases {
                guard let key = names.attribute(dimension), let text = attributes[key], let offered = profile.value(dimension) else { continue }
                guard let value = Double(text), value.isFinite else {
                    report(key, "\(quoted(text)) is not a number; hardware profile \(quoted(profile.name)) offers \(dimension.words) \(offered.text)")
                    continue
                }
                if !offered.contains(value) {
                    report(key, "\(dimension.words) \(quoted(text)) is not offered by hardware profile \(quoted(profile.name)), which offers \(offered.text)")
                }
            }
        }
        if let key = names.image, let wanted = attributes[key], catalog.listed.contains(.images) {
            if let image = catalog.images.first(where: { $0.id == wanted }) {
                if !usable(image.state) { report(key, "image \(quoted(wanted)) is \(quoted(image.state)), not available") }
            } else {
                report(key, unknown("image", wanted, among: catalog.images.map(\.id)))
            }
        }
        if let key = names.realm, let wanted = attributes[key], catalog.listed.contains(.realms) {
            if let realm = catalog.realms.first(where: { $0.id == wanted }) {
                if !usable(realm.state) { report(key, "realm \(quoted(wanted)) is \(quoted(realm.state)), not available") }
            } else {
                report(key, unknown("realm", wanted, among: catalog.realms.map(\.id)))
            }
        }
        return found
    }

    /// A state that takes deploys: none said, or available.
    static func usable(_ state: String) -> Bool {
        state.isEmpty || state.lowercased() == "available"
    }

    /// "unknown image "x" (did you mean y?); offered: a, b, c".
    static func unknown(_ what: String, _ wanted: String, among offered: [String]) -> String {
        var message = "unknown \(what) \(quoted(wanted))"
        // Only names of about the same length can be a typo's: the rest are not measured.
        let near = offered.filter { abs($0.utf8.count - wanted.utf8.count) <= 3 }
        if let hint = Spelling.closest(to: wanted, among: near) { message += " (did you mean \(hint)?)" }
        let shown = offered.prefix(listed).map { quoted($0) }.joined(separator: ", ")
        return message + "; offered: " + shown + (offered.count > listed ? " and \(offered.count - listed) more" : "")
    }
}
