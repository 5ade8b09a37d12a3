import Testing
@testable import FirmBase
@testable import FirmModel
@testable import FirmPlanning
@testable import FirmExecution
@testable import FirmSimulated
@testable import FirmProcess
@testable import FirmEC2
@testable import FirmLocalState
@testable import FirmEtcdState
@testable import FirmSession
@testable import FirmDrift
@testable import Firmament

/// Saved plans are checked in full: every action's details must fit its type, dependencies must
/// point back, and the digest must match, so a crafted or edited plan is refused, never run.
@Suite("Saved plans")
struct SavedPlanTests {
    /// A plan with one action of every kind.
    static let plan: Plan = {
        let link = VLANLink(network: "back", vlan: 120, mode: .access)
        let actions = [
            PlannedAction(.prepareInfra(InfraPreparation(provider: "sky", cloud: "10.0.0.0/16", subnets: [SubnetSpec(name: "dmz", cidr: "10.0.1.0/24", isPublic: true)], createKeys: true)),
                          reason: "r", provider: "sky"),
            PlannedAction(.deploy(app: "web", subnets: ["dmz"]), dependsOn: ["prepareInfra:provider.sky"], reason: "r", provider: "sky"),
            PlannedAction(.deploy(app: "db", subnets: []), reason: "r", provider: "lab"),
            PlannedAction(.connect(app: "db", link), dependsOn: ["deploy:app.db"], reason: "r", provider: "lab"),
            PlannedAction(.powerOn(app: "db"), dependsOn: ["connect:app.db:network.back"], reason: "r", provider: "lab"),
            PlannedAction(.refreshIP(app: "db"), dependsOn: ["powerOn:app.db"], reason: "r", provider: "lab"),
            PlannedAction(.disconnect(app: "old", link), reason: "r", provider: "lab"),
            PlannedAction(.delete(app: "old"), dependsOn: ["disconnect:app.old:network.back"], reason: "r", provider: "lab"),
            PlannedAction(.replace(app: "api", subnets: []), reason: "r", provider: "lab", changedFields: ["deploymentPath.deploymentType"]),
            PlannedAction(.powerOff(app: "api2"), reason: "r", provider: "lab"),
            PlannedAction(.cleanInfra(.subnet("gone")), reason: "r", provider: "sky"),
            PlannedAction(.cleanInfra(.sandbox(provider: "old-sky", subnets: ["x"])), reason: "r", provider: "old-sky"),
        ]
        return Plan(blueprintName: "lab", blueprintFile: "lab.json", blueprintDigest: "d", lineage: "L", serial: 3,
                    location: PlanLocation(blueprint: "/w/lab.json", state: "/w/state/lab.state.json"), actions: actions)
    }()

    static func decode(_ text: String) throws(PlanError) -> Plan {
        do {
            return try Plan.decode(try JSONReader.parse(text), file: "t.plan")
        } catch let error as PlanError {
            throw error
        } catch {
            throw .invalid([Diagnostic(file: "t.plan", position: nil, path: "", message: "\(error)")])
        }
    }

    @Test("a plan with every kind of action reads back as it was written")
    func roundTrip() throws {
        #expect(try Self.decode(Self.plan.json.prettyText) == Self.plan)
    }

    /// Rewrites the plan's JSON with `edit`, and recomputes the digest when `redigest` is set
    /// (as an attacker who knows the format would).
    static func edited(_ edit: (inout [JSON]) -> Void, redigest: Bool = true) -> String {
        guard case .object(var root) = plan.json, case .array(var actions)? = root["actions"] else { return "" }
        edit(&actions)
        root["actions"] = .array(actions)
        root["digest"] = nil
        if redigest { root["digest"] = .string(Plan.digest(of: root)) } else { root["digest"] = plan.json["digest"] }
        return JSON.object(root).prettyText
    }

    static func set(_ action: JSON, _ key: String, _ value: JSON?) -> JSON {
        guard case .object(var o) = action else { return action }
        o[key] = value
        return .object(o)
    }

    struct Case: CustomStringConvertible, Sendable {
        var name: String
        var index: Int
        var changes: [(String, JSON?)]
        var path: String
        var message: String
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "a connect with its details removed and its id adjusted", index: 3, changes: [("details", nil), ("id", "connect:app.db")],
             path: "actions[3]", message: "a connect action needs \"details\""),
        Case(name: "a deploy with VLAN details", index: 2, changes: [("details", ["network": "back", "vlan": 120, "mode": "access"])],
             path: "actions[2].details.network", message: "unknown key"),
        Case(name: "a powerOn with details", index: 4, changes: [("details", ["subnets": []])], path: "actions[4].details", message: "has no details"),
        Case(name: "a prepareInfra on an app", index: 0, changes: [("target", "app.web"), ("id", "prepareInfra:app.web")],
             path: "actions[0].target", message: "targets provider.NAME"),
        Case(name: "a prepareInfra for another provider", index: 0, changes: [("target", "provider.other"), ("id", "prepareInfra:provider.other")],
             path: "actions[0].target", message: "targets its own provider"),
        Case(name: "a target that escapes its folder", index: 2, changes: [("target", "app.../x"), ("id", "deploy:app.../x")],
             path: "actions[2].target", message: "is not a valid app name"),
        Case(name: "a VLAN out of range", index: 3, changes: [("details", ["network": "back", "vlan": 99_999_999_999, "mode": "access"])],
             path: "actions[3].details.vlan", message: "out of range"),
        Case(name: "a bad port mode", index: 3, changes: [("details", ["network": "back", "vlan": 120, "mode": "hybrid"])],
             path: "actions[3].details.mode", message: "expected \"access\" or \"trunk\""),
        Case(name: "an id that doesn't fit", index: 2, changes: [("id", "delete:app.db")], path: "actions[2].id", message: "expected \"deploy:app.db\""),
        Case(name: "a dependency on a later action", index: 2, changes: [("dependsOn", ["refreshIP:app.db"])],
             path: "actions[2].dependsOn", message: "is not an earlier action"),
        Case(name: "a dependency on nothing", index: 2, changes: [("dependsOn", ["deploy:app.ghost"])],
             path: "actions[2].dependsOn", message: "is not an earlier action"),
        Case(name: "a clean of one subnet naming another", index: 10, changes: [("details", ["all": false, "cleanSubnets": ["dmz"]])],
             path: "actions[10].details.cleanSubnets", message: "lists exactly that network"),
        Case(name: "a bad CIDR", index: 0, changes: [("details", ["cloud": "10.0.0.0/33", "prepareSubnets": [], "createKeys": true])],
             path: "actions[0].details.cloud", message: "is not an IPv4 CIDR"),
        Case(name: "an unknown type", index: 2, changes: [("type", "explode")], path: "actions[2].type", message: "expected"),
        Case(name: "a dependency list of numbers", index: 2, changes: [("dependsOn", [1])], path: "actions[2].dependsOn[0]", message: "expected a string"),
    ]

    @Test("an action whose payload, target, id or dependencies don't fit is refused with its path", arguments: cases)
    func refused(_ c: Case) {
        let text = Self.edited { actions in
            for (key, value) in c.changes { actions[c.index] = Self.set(actions[c.index], key, value) }
        }
        let error = #expect(throws: PlanError.self) { try Self.decode(text) }
        guard case .invalid(let d)? = error else {
            Issue.record("\(c.name): expected the plan to be refused as invalid, got \(String(describing: error))")
            return
        }
        #expect(d.contains { $0.path == c.path && $0.message.contains(c.message) && $0.file == "t.plan" }, "\(c.name): \(d.map(\.description))")
    }

    @Test("an edited plan is refused by its digest, naming the file")
    func edited() {
        // A no-op plan edited into a delete, with the summary fixed up but not the digest.
        let text = Self.edited({ actions in actions = [Self.plan.actions[7].json].map { Self.set($0, "dependsOn", []) } }, redigest: false)
            .replacingOccurrences(of: #""delete": 0"#, with: #""delete": 1"#)
        let error = #expect(throws: PlanError.self) { try Self.decode(text) }
        #expect(error?.description.contains("t.plan") == true)
        #expect(error?.description.contains("digest") == true || error?.description.contains("summary") == true, "\(String(describing: error))")
    }

    @Test("every truncation of a saved plan is refused")
    func truncated() {
        let text = Array(Self.plan.json.prettyText.utf8)
        for length in stride(from: 0, to: text.count - 2, by: 7) {
            let cut = String(decoding: text[0..<length], as: UTF8.self)
            #expect(throws: (any Error).self, "cut at \(length)") { try Plan.decode(try JSONReader.parse(cut), file: "t.plan") }
        }
    }

    @Test("a plan of another format version is refused with what to do")
    func version() {
        let text = Self.plan.json.prettyText.replacingOccurrences(of: #""formatVersion": 2"#, with: #""formatVersion": 1"#)
        let error = #expect(throws: PlanError.self) { try Self.decode(text) }
        #expect(error?.description.contains("make the plan again") == true)
    }

    /// `plan --json` and `--out` write the plan through `prettyBytes`, which writes the body
    /// straight from the actions, and digests its compact form (written the same way) on the
    /// other core for large plans: the bytes must be those of the JSON value, the digest that of
    /// the value's compact text, and the file must read back, for small plans and large ones
    /// (120 copies make over 1,000 actions). Reasons and file names with quotes, backslashes and
    /// tabs are escaped the same way on both paths.
    @Test("a plan's written bytes are its JSON, with extra members after the digest", arguments: [1, 120])
    func prettyBytes(copies: Int) throws {
        var actions: [PlannedAction] = []
        for i in 0..<copies {
            for a in Self.plan.actions {
                let app = a.appName.map { "\($0)\(i)" }
                guard let app else { if i == 0 { actions.append(a) }; continue }
                let kind: ActionKind = switch a.kind {
                case .deploy(_, let s): .deploy(app: app, subnets: s)
                case .replace(_, let s): .replace(app: app, subnets: s)
                case .delete: .delete(app: app)
                case .powerOn: .powerOn(app: app)
                case .powerOff: .powerOff(app: app)
                case .refreshIP: .refreshIP(app: app)
                case .connect(_, let l): .connect(app: app, l)
                case .disconnect(_, let l): .disconnect(app: app, l)
                default: a.kind
                }
                actions.append(PlannedAction(kind, reason: "a \"quoted\" \\ reason\twith space", provider: a.provider, changedFields: a.changedFields))
            }
        }
        let plan = Plan(blueprintName: "lab", blueprintFile: "my \"lab\".json", blueprintDigest: "d", lineage: "L", serial: 3,
                        location: PlanLocation(blueprint: "/w/my lab.json", state: "/w/state/lab.state.json"), actions: actions)
        #expect(copies == 1 || plan.actions.count >= 1_000, "the large plan takes the concurrent path")
        #expect(plan.prettyBytes() == JSONWriter(pretty: true).bytes(plan.json))
        guard case .object(var body) = plan.json else { Issue.record("not an object"); return }
        body["digest"] = nil
        #expect(plan.contentDigest == Plan.digest(of: body))
        let extra: [(String, JSON)] = [("recovered", .array([.string("x")])), ("refresh", .array([]))]
        guard case .object(var o) = plan.json else { Issue.record("not an object"); return }
        for (k, v) in extra { o[k] = v }
        #expect(plan.prettyBytes(extra: extra) == JSONWriter(pretty: true).bytes(.object(o)))
        #expect(try Self.decode(String(decoding: plan.prettyBytes(), as: UTF8.self)) == plan)
    }
}
