import FirmBase

/// What a state records of its sandbox: its providers as applied (so that it can be destroyed,
/// and garbage-collected, without the blueprint file), and its lifetime.
public struct SandboxRecord: Sendable, Equatable {
    public var name: String
    /// The blueprint file of the last apply, as an absolute path (for people: it may be gone).
    public var blueprintFile: String
    /// The blueprint's `providers` object as applied; secrets in it are `{"env"}` references.
    public var providers: JSON
    /// The folder relative provider paths were resolved from (the blueprint's home), absolute.
    public var home: String
    /// When the sandbox was first applied, and last applied (Timestamp text).
    public var created: String
    public var lastApplied: String?
    /// When it expires (nil: never), from `apply --ttl` or the blueprint's `ttl`.
    public var expires: String?
    /// Whether the last apply or destroy left failed actions.
    public var failed: Bool
    /// Whether the last apply or destroy was stopped (a signal, a closed stdout) before every
    /// action had run, with none failed. Written only when true, so that a state without it
    /// stays readable by an older firm.
    public var interrupted = false

    public init(name: String, blueprintFile: String, providers: JSON, home: String, created: String, lastApplied: String? = nil, expires: String? = nil,
                failed: Bool = false) {
        self.name = name
        self.blueprintFile = blueprintFile
        self.providers = providers
        self.home = home
        self.created = created
        self.lastApplied = lastApplied
        self.expires = expires
        self.failed = failed
    }

    /// active, expired (at `now`), failed or interrupted.
    public func status(at now: String) -> String {
        if let expires, expires <= now { return "expired" }
        return failed ? "failed" : interrupted ? "interrupted" : "active"
    }

    public var json: JSON {
        var o = JSONObject([("name", .string(name)), ("blueprintFile", .string(blueprintFile)), ("providers", providers),
                            ("home", .string(home)), ("created", .string(created)), ("failed", .bool(failed))])
        if let lastApplied { o["lastApplied"] = .string(lastApplied) }
        if let expires { o["expires"] = .string(expires) }
        if interrupted { o["interrupted"] = .bool(true) }
        return .object(o)
    }

    package static func decode(_ node: JSONNode, _ path: JSONPath, _ c: inout DecodingContext) -> SandboxRecord? {
        guard let f = c.members(of: node, at: path, allowed: ["name", "blueprintFile", "providers", "home", "created", "lastApplied", "expires", "failed", "interrupted"],
                                required: ["name", "blueprintFile", "providers", "home", "created", "failed"]),
            let name = f["name"].flatMap({ c.name($0, at: path.key("name"), what: "sandbox") }),
            let file = f["blueprintFile"].flatMap({ c.string($0, at: path.key("blueprintFile")) }),
            let home = f["home"].flatMap({ c.string($0, at: path.key("home")) }),
            let providers = f["providers"], let created = timestamp(f["created"], path.key("created"), &c),
            let failed = f["failed"].flatMap({ c.bool($0, at: path.key("failed")) })
        else { return nil }
        guard case .object = providers.kind else {
            c.report(path.key("providers"), "expected an object of providers, found \(providers.typeName)", at: providers.position)
            return nil
        }
        guard home.hasPrefix("/"), !home.unicodeScalars.contains(where: ControlCharacters.isControl) else {
            c.report(path.key("home"), "expected an absolute folder path", at: f["home"]!.position)
            return nil
        }
        var record = SandboxRecord(name: name, blueprintFile: file, providers: providers.plain, home: home, created: created, failed: failed)
        if f["lastApplied"] != nil {
            guard let t = timestamp(f["lastApplied"], path.key("lastApplied"), &c) else { return nil }
            record.lastApplied = t
        }
        if f["expires"] != nil {
            guard let t = timestamp(f["expires"], path.key("expires"), &c) else { return nil }
            record.expires = t
        }
        if let node = f["interrupted"] {
            guard let interrupted = c.bool(node, at: path.key("interrupted")) else { return nil }
            record.interrupted = interrupted
        }
        return record
    }

    static func timestamp(_ node: JSONNode?, _ path: JSONPath, _ c: inout DecodingContext) -> String? {
        guard let node, let text = c.string(node, at: path) else { return nil }
        guard Timestamp.seconds(text) != nil else {
            c.report(path, "expected a UTC time such as 2026-01-31T12:00:00Z, found \(quoted(text))", at: node.position)
            return nil
        }
        return text
    }
}
