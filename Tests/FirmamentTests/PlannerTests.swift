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

@Suite("Planner")
struct PlannerTests {
    static let path = DeploymentPath(provider: "sim", deploymentType: "small", attributes: ["CPU": .literal("2")])

    static func spec(_ power: Power = .on, waitForIP: Bool = true, path: DeploymentPath = path, attributes: [String: AttributeValue] = [:]) -> AppSpec {
        AppSpec(deploymentPath: path, attributes: attributes, power: power, waitForIP: waitForIP)
    }

    static func deployed(_ power: Power = .on, path: DeploymentPath = path, attributes: [String: AttributeValue] = [:]) -> AppState {
        AppState(provider: path.provider, deploymentPath: path, attributes: attributes, vmName: "web__abcdef", vmUuid: "u-1",
                 address: "10.0.0.2", power: power)
    }

    struct Case: CustomStringConvertible, Sendable {
        var name: String
        var desired: AppSpec?
        var current: AppState?
        /// "type:target<-dep,dep" for each expected action, in order.
        var expected: [String]
        var changedFields: [String] = []
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "nothing anywhere", desired: nil, current: nil, expected: []),
        Case(name: "new app, on, waits for IP", desired: spec(), current: nil,
             expected: ["deploy:app.web", "powerOn:app.web<-deploy:app.web", "refreshIP:app.web<-powerOn:app.web"]),
        Case(name: "new app, on, no IP wait", desired: spec(waitForIP: false), current: nil,
             expected: ["deploy:app.web", "powerOn:app.web<-deploy:app.web"]),
        Case(name: "new app, off", desired: spec(.off), current: nil, expected: ["deploy:app.web"]),
        Case(name: "app removed from the blueprint", desired: nil, current: deployed(), expected: ["delete:app.web"]),
        Case(name: "no change", desired: spec(), current: deployed(), expected: []),
        Case(name: "no change when off", desired: spec(.off), current: deployed(.off), expected: []),
        Case(name: "power on only", desired: spec(), current: deployed(.off),
             expected: ["powerOn:app.web", "refreshIP:app.web<-powerOn:app.web"]),
        Case(name: "power on only, no IP wait", desired: spec(waitForIP: false), current: deployed(.off), expected: ["powerOn:app.web"]),
        Case(name: "power off only", desired: spec(.off), current: deployed(.on), expected: ["powerOff:app.web"]),
        Case(name: "deployment type changed", desired: spec(path: DeploymentPath(provider: "sim", deploymentType: "large", attributes: ["CPU": .literal("2")])),
             current: deployed(), expected: ["replace:app.web", "powerOn:app.web<-replace:app.web", "refreshIP:app.web<-powerOn:app.web"],
             changedFields: ["deploymentPath.deploymentType"]),
        Case(name: "deployment attribute changed", desired: spec(.off, path: DeploymentPath(provider: "sim", deploymentType: "small", attributes: ["CPU": .literal("4")])),
             current: deployed(.off), expected: ["replace:app.web"], changedFields: ["deploymentPath.attributes.CPU"]),
        Case(name: "deployment attribute added", desired: spec(.off, path: DeploymentPath(provider: "sim", deploymentType: "small", attributes: ["CPU": .literal("2"), "Disk": .literal("9")])),
             current: deployed(.off), expected: ["replace:app.web"], changedFields: ["deploymentPath.attributes.Disk"]),
        Case(name: "provider changed", desired: spec(.off, path: DeploymentPath(provider: "other", deploymentType: "small", attributes: ["CPU": .literal("2")])),
             current: deployed(.off), expected: ["replace:app.web"], changedFields: ["deploymentPath.provider"]),
        Case(name: "app attribute changed", desired: spec(.off, attributes: ["User": .literal("root")]), current: deployed(.off, attributes: ["User": .literal("admin")]),
             expected: ["replace:app.web"], changedFields: ["attributes.User"]),
        Case(name: "literal became env secret", desired: spec(.off, attributes: ["Password": .env("PW")]), current: deployed(.off, attributes: ["Password": .literal("x")]),
             expected: ["replace:app.web"], changedFields: ["attributes.Password"]),
        Case(name: "replace and power change together", desired: spec(.off, path: DeploymentPath(provider: "sim", deploymentType: "large", attributes: ["CPU": .literal("2")])),
             current: deployed(.on), expected: ["replace:app.web"], changedFields: ["deploymentPath.deploymentType"]),
        Case(name: "waitForIP change alone changes nothing", desired: spec(waitForIP: false), current: deployed(), expected: []),
    ]

    @Test("plans every kind of change", arguments: cases)
    func plans(_ c: Case) {
        var blueprint = Blueprint(name: "lab")
        if let d = c.desired { blueprint.apps["web"] = d }
        var state = State(lineage: "L", serial: 3, blueprint: "lab")
        if let s = c.current { state.apps["web"] = s }
        let plan = Planner.plan(blueprint: blueprint, blueprintFile: "lab.json", state: state)
        let rendered = plan.actions.map { $0.id + ($0.dependsOn.isEmpty ? "" : "<-" + $0.dependsOn.joined(separator: ",")) }
        #expect(rendered == c.expected)
        #expect(plan.actions.first?.changedFields ?? [] == c.changedFields)
        #expect(plan.actions.allSatisfy { !$0.reason.isEmpty })
    }

    @Test("a replace says which field forced it")
    func replaceReason() {
        var blueprint = Blueprint(name: "lab")
        blueprint.apps["web"] = Self.spec(.off, path: DeploymentPath(provider: "sim", deploymentType: "large", attributes: ["CPU": .literal("2")]))
        var state = State(lineage: "L", blueprint: "lab")
        state.apps["web"] = Self.deployed(.off)
        let plan = Planner.plan(blueprint: blueprint, blueprintFile: "lab.json", state: state)
        #expect(plan.actions[0].reason == "deploymentPath.deploymentType (\"small\" → \"large\") changed; the VM must be replaced")
        #expect(plan.actions[0].changedFields == ["deploymentPath.deploymentType"])
    }

    @Test("a replace shows plain old and new values, and never a secret's")
    func replaceValues() {
        var blueprint = Blueprint(name: "lab")
        blueprint.apps["web"] = Self.spec(.off, attributes: ["User": .literal("root"), "Token": .literal("t2"), "Key2": .env("K")])
        var state = State(lineage: "L", blueprint: "lab")
        state.apps["web"] = Self.deployed(.off, attributes: ["User": .literal("admin"), "Token": .literal("t1"), "Key2": .literal("plain")])
        let reason = Planner.plan(blueprint: blueprint, blueprintFile: "lab.json", state: state).actions[0].reason
        #expect(reason == "attributes.Key2, attributes.Token, attributes.User (\"admin\" → \"root\") changed; the VM must be replaced")
    }

    @Test("the same inputs give byte-identical plan JSON, whatever the dictionary order")
    func deterministic() {
        var blueprint = Blueprint(name: "lab")
        var state = State(lineage: "L", serial: 7, blueprint: "lab")
        for i in 0..<200 {
            blueprint.apps["app\(i)"] = Self.spec(i % 3 == 0 ? .off : .on)
            if i % 2 == 0 { state.apps["app\(i)"] = Self.deployed(i % 4 == 0 ? .on : .off) }
            state.apps["gone\(i)"] = Self.deployed()
        }
        let first = Planner.plan(blueprint: blueprint, blueprintFile: "lab.json", state: state).json.prettyText
        var shuffledBlueprint = Blueprint(name: "lab")
        for key in blueprint.apps.keys.shuffled() { shuffledBlueprint.apps[key] = blueprint.apps[key] }
        var shuffledState = State(lineage: "L", serial: 7, blueprint: "lab")
        for key in state.apps.keys.shuffled() { shuffledState.apps[key] = state.apps[key] }
        let second = Planner.plan(blueprint: shuffledBlueprint, blueprintFile: "lab.json", state: shuffledState).json.prettyText
        #expect(first == second)
    }

    @Test("plan JSON has the keys tools rely on and reads back")
    func planJSON() throws {
        var blueprint = Blueprint(name: "lab")
        blueprint.apps["web"] = Self.spec()
        var plan = Planner.plan(blueprint: blueprint, blueprintFile: "lab.json", state: State(lineage: "L", serial: 2, blueprint: "lab"))
        plan.location = PlanLocation(blueprint: "/work/lab.json", state: "/work/state/lab.state.json")
        let json = plan.json
        let action = json["actions"]?.arrayValue?.first
        for key in ["id", "type", "target", "dependsOn", "reason"] { #expect(action?[key] != nil, "\(key)") }
        #expect(json["summary"]?["deploy"] == 1)
        #expect(json["summary"]?["refreshIP"] == 1)
        let back = try Plan.decode(try JSONReader.parse(json.prettyText), file: "plan.json")
        #expect(back == plan)
    }

    @Test("no secret reaches the plan")
    func noSecrets() {
        var blueprint = Blueprint(name: "lab")
        blueprint.apps["web"] = Self.spec(attributes: ["Password": .literal("hunter2")])
        var state = State(lineage: "L", blueprint: "lab")
        state.apps["web"] = Self.deployed(attributes: ["Password": .literal("old-secret")])
        let text = Planner.plan(blueprint: blueprint, blueprintFile: "lab.json", state: state).json.prettyText
        #expect(!text.contains("hunter2"))
        #expect(!text.contains("old-secret"))
    }

    /// Actions with their dependencies by added position, and the order the plan must run them
    /// in: the order added when every dependency comes first, else dependencies first with ties
    /// broken by the order added.
    static let orders: [(name: String, deps: [[Int]], order: [Int])] = [
        ("every dependency added first keeps the added order", [[], [0], [1], [], [3], [0, 3]], [0, 1, 2, 3, 4, 5]),
        ("a first action that waits on a later one runs after it", [[2], [], []], [1, 2, 0]),
        ("a prepare that waits on a subnet's clean-up, as a moved subnet plans it", [[3], [0], [1], [], [0]], [3, 0, 1, 2, 4]),
        ("a dependency on an action not in the plan is ignored", [[], [7], [0]], [0, 1, 2]),
    ]

    @Test("actions run after their dependencies, ties in the order added", arguments: orders)
    func order(_ c: (name: String, deps: [[Int]], order: [Int])) {
        var b = PlanBuilder()
        for i in c.deps.indices { b.add(PlannedAction(.powerOn(app: "a\(i)"), reason: "r", provider: "p")) }
        for (i, deps) in c.deps.enumerated() { b.addDependencies("powerOn:app.a\(i)", on: deps.map { "powerOn:app.a\($0)" }) }
        #expect(b.sorted().map(\.id) == c.order.map { "powerOn:app.a\($0)" }, "\(c.name)")
    }
}
