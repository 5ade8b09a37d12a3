import FirmBase
import FirmModel

/// The plan's JSON form, read by tools outside this repo and by `firm apply PLANFILE`. It holds
/// no attribute values, so no secret can reach a plan file. It ends with a digest of everything
/// before it, so an edited or truncated plan file is refused rather than applied.
extension Plan {
    public var json: JSON {
        var o = body
        o["digest"] = .string(contentDigest)
        return .object(o)
    }

    /// The plan's JSON written indented, with `extra` members after the digest (for `plan
    /// --json`, which adds what the refresh found): the same bytes as
    /// `JSONWriter(pretty: true).bytes` of `json` with those members appended. `digest` is this
    /// plan's `digestInBackground()`, when it was begun earlier.
    public func prettyBytes(extra: [(String, JSON)] = [], digest pending: PendingDigest? = nil) -> [UInt8] {
        let writer = JSONWriter(pretty: true)
        // The digest's compact form is written and hashed on the other core meanwhile.
        let digest = (pending ?? digestInBackground())?.value
        var out: [UInt8] = []
        writeBody(writer, into: &out)
        let digestText = digest?.value ?? contentDigest
        // The body is a non-empty object, so its text ends with "\n}".
        out.removeLast(2)
        for (key, value) in [("digest", JSON.string(digestText))] + extra {
            out.append(contentsOf: ",\n  ".utf8)
            JSONWriter.writeString(key, into: &out)
            out.append(contentsOf: ": ".utf8)
            writer.write(value, into: &out, indent: 1)
        }
        out.append(contentsOf: "\n}\n".utf8)
        return out
    }

    /// The content digest of a plan, being computed on a thread of its own.
    public struct PendingDigest: Sendable {
        fileprivate let value: ThreadedValue<String>
    }

    /// Begins computing `contentDigest` on another thread, for a `prettyBytes` to come: a plan
    /// of thousands of actions takes milliseconds to write compactly and hash. Nil for a smaller
    /// plan, which is hashed faster than a thread starts.
    public func digestInBackground() -> PendingDigest? {
        actions.count >= 1_000 ? PendingDigest(value: ThreadedValue { [self] in contentDigest }) : nil
    }

    /// Everything but the digest, as a JSON value; `writeBody` writes the same without building it.
    private var body: JSONObject {
        let header = self.header
        return JSONObject([
            ("formatVersion", .int(Plan.formatVersion)),
            ("blueprint", .object(header.blueprint)),
            ("state", .object(header.state)),
            ("actions", .array(actions.map(\.json))),
            ("summary", summaryJSON),
        ])
    }

    /// The `blueprint` and `state` members.
    var header: (blueprint: JSONObject, state: JSONObject) {
        var blueprint = JSONObject([("name", .string(blueprintName)), ("file", .string(blueprintFile)), ("digest", .string(blueprintDigest))])
        var state = JSONObject([("lineage", .string(lineage)), ("serial", .int(serial))])
        if let location {
            blueprint["path"] = .string(location.blueprint)
            state["path"] = .string(location.state)
            if let sandbox = location.sandbox { state["sandbox"] = .string(sandbox) }
        }
        return (blueprint, state)
    }

    var summaryJSON: JSON { .object(JSONObject(summary.map { ($0.0.rawValue, .int($0.1)) })) }

    /// The digest of a plan's body given as a JSON value: what `contentDigest` gives, computed
    /// the slow way (tests compare the two).
    static func digest(of body: JSONObject) -> String {
        "sha256:" + SHA256.hex(JSONWriter(pretty: false).bytes(.object(body)))
    }

    /// Reads a saved plan file's JSON, checking every field, every action, the order of the
    /// dependencies and the digest.
    public static func decode(_ node: JSONNode, file: String) throws(PlanError) -> Plan {
        var c = DecodingContext(file: file)
        let plan = decodeFields(node, &c)
        guard let plan, c.diagnostics.isEmpty else { throw .invalid(c.diagnostics) }
        return plan
    }

    private static func decodeFields(_ node: JSONNode, _ c: inout DecodingContext) -> Plan? {
        let root = JSONPath()
        guard let f = c.members(of: node, at: root, allowed: ["formatVersion", "blueprint", "state", "actions", "summary", "digest"],
                                required: ["formatVersion", "blueprint", "state", "actions", "summary", "digest"]) else { return nil }
        guard let v = f["formatVersion"].flatMap({ c.int($0, at: root.key("formatVersion"), in: 0...1_000_000) }) else { return nil }
        if v != Plan.formatVersion {
            c.report(root.key("formatVersion"), "plan format \(v) is not supported; expected \(Plan.formatVersion) (make the plan again with this firm)",
                     at: f["formatVersion"]!.position)
            return nil
        }
        let bp = root.key("blueprint"), sp = root.key("state")
        guard let b = f["blueprint"].flatMap({ c.members(of: $0, at: bp, allowed: ["name", "file", "digest", "path"], required: ["name", "file", "digest", "path"]) }),
            let name = b["name"].flatMap({ c.string($0, at: bp.key("name")) }),
            let bfile = b["file"].flatMap({ c.string($0, at: bp.key("file")) }),
            let blueprintDigest = b["digest"].flatMap({ c.string($0, at: bp.key("digest")) }),
            let bpath = b["path"].flatMap({ c.string($0, at: bp.key("path")) }),
            let s = f["state"].flatMap({ c.members(of: $0, at: sp, allowed: ["lineage", "serial", "path", "sandbox"], required: ["lineage", "serial", "path"]) }),
            let lineage = s["lineage"].flatMap({ c.string($0, at: sp.key("lineage")) }),
            let serial = s["serial"].flatMap({ c.int($0, at: sp.key("serial"), in: 0...State.maxSerial) }),
            let spath = s["path"].flatMap({ c.string($0, at: sp.key("path")) }),
            let actionsNode = f["actions"], let items = c.array(actionsNode, at: root.key("actions"))
        else { return nil }
        var actions: [PlannedAction] = []
        var seen: Set<String> = []
        for (i, item) in items.enumerated() {
            let path = root.key("actions").index(i)
            guard let action = PlannedAction.decode(item, path, &c) else { continue }
            if !seen.insert(action.id).inserted {
                c.report(path.key("id"), "action \(quoted(action.id)) appears twice", at: item.position)
                continue
            }
            for dep in action.dependsOn where !seen.contains(dep) || dep == action.id {
                c.report(path.key("dependsOn"), "\(quoted(dep)) is not an earlier action of this plan (actions come after what they depend on)",
                         at: item.position)
            }
            actions.append(action)
        }
        let sandbox = s["sandbox"].flatMap { c.name($0, at: sp.key("sandbox"), what: "sandbox") }
        guard c.diagnostics.isEmpty else { return nil }
        let plan = Plan(blueprintName: name, blueprintFile: bfile, blueprintDigest: blueprintDigest, lineage: lineage, serial: serial,
                        location: PlanLocation(blueprint: bpath, state: spath, sandbox: sandbox), actions: actions)
        if let summary = f["summary"], summary.plain != plan.summaryJSON {
            c.report(root.key("summary"), "the summary does not match the actions; the plan was edited", at: summary.position)
            return nil
        }
        if let node = f["digest"], let stored = c.string(node, at: root.key("digest")), stored != plan.contentDigest {
            c.report(root.key("digest"), "the plan's digest does not match its content; it was edited or damaged, so it is not applied", at: node.position)
            return nil
        }
        return plan
    }
}

extension PlannedAction {
    public var json: JSON {
        var o = JSONObject([
            ("id", .string(id)), ("type", .string(type.rawValue)), ("target", .string(target)),
            ("dependsOn", .array(dependsOn.map(JSON.string))), ("reason", .string(reason)), ("provider", .string(provider)),
        ])
        if !changedFields.isEmpty { o["changedFields"] = .array(changedFields.map(JSON.string)) }
        if let details = kind.detailsJSON { o["details"] = details }
        return .object(o)
    }

    static func decode(_ node: JSONNode, _ path: JSONPath, _ c: inout DecodingContext) -> PlannedAction? {
        guard let f = c.members(of: node, at: path, allowed: ["id", "type", "target", "dependsOn", "reason", "provider", "changedFields", "details"],
                                required: ["id", "type", "target", "dependsOn", "reason", "provider"]),
            let typeText = f["type"].flatMap({ c.choice($0, at: path.key("type"), ActionType.allCases.map(\.rawValue)) }),
            let type = ActionType(rawValue: typeText),
            let targetNode = f["target"], let target = c.string(targetNode, at: path.key("target")),
            let reason = f["reason"].flatMap({ c.string($0, at: path.key("reason")) }),
            let provider = f["provider"].flatMap({ c.name($0, at: path.key("provider"), what: "provider") }),
            let deps = f["dependsOn"].flatMap({ c.strings($0, at: path.key("dependsOn")) }),
            let idNode = f["id"], let id = c.string(idNode, at: path.key("id"))
        else { return nil }
        let changed = f["changedFields"].flatMap { c.strings($0, at: path.key("changedFields")) } ?? []
        guard let kind = ActionKind.decode(type, target: target, targetNode: targetNode, provider: provider, details: f["details"], path, &c) else {
            return nil
        }
        if id != kind.id {
            c.report(path.key("id"), "expected \(quoted(kind.id)) for this type, target and details", at: idNode.position)
            return nil
        }
        return PlannedAction(kind, dependsOn: deps, reason: reason, provider: provider, changedFields: changed)
    }
}
