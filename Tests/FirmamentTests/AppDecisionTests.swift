import Testing
@testable import FirmBase
@testable import FirmModel
@testable import FirmPlanning

@Suite("Planner: the decision for one app's VM")
struct AppDecisionTests {
    static func desired(_ power: Power) -> AppSpec {
        AppSpec(deploymentPath: DeploymentPath(provider: "sim", deploymentType: "small"), power: power)
    }

    static func recorded(_ power: Power) -> AppState {
        AppState(provider: "sim", deploymentPath: DeploymentPath(provider: "sim", deploymentType: "small"), attributes: [:], vmName: "web__1",
                 vmUuid: "u-1", power: power)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var desired: AppSpec?
        var current: AppState?
        var changes: AppDecision.Changes
        var expected: AppDecision
        var testDescription: String {
            "\(desired.map { "wants \($0.power)" } ?? "not in the blueprint"), \(current.map { "recorded \($0.power)" } ?? "not recorded"), "
                + "\(changes.fields) moved \(changes.subnetMoved) → \(expected)"
        }
    }

    static let type = ["deploymentPath.deploymentType"]

    @Test("one switch over the blueprint's app, the recorded app and what changed", arguments: [
        Case(desired: nil, current: nil, changes: .init(), expected: .keep),
        Case(desired: desired(.on), current: nil, changes: .init(), expected: .deploy),
        Case(desired: desired(.off), current: nil, changes: .init(), expected: .deploy),
        Case(desired: nil, current: recorded(.on), changes: .init(), expected: .delete),
        Case(desired: desired(.on), current: recorded(.on), changes: .init(), expected: .keep),
        Case(desired: desired(.off), current: recorded(.off), changes: .init(), expected: .keep),
        Case(desired: desired(.off), current: recorded(.on), changes: .init(), expected: .power(.off)),
        Case(desired: desired(.on), current: recorded(.off), changes: .init(), expected: .power(.on)),
        Case(desired: desired(.on), current: recorded(.on), changes: .init(fields: type), expected: .replace(fields: type)),
        // A change of fields wins over a change of power: the new VM is started as the blueprint says.
        Case(desired: desired(.off), current: recorded(.on), changes: .init(fields: type), expected: .replace(fields: type)),
        Case(desired: desired(.on), current: recorded(.on), changes: .init(fields: ["networks.a.subnet"], subnetMoved: true),
             expected: .redeploy(fields: ["networks.a.subnet"])),
    ])
    func decide(_ c: Case) {
        #expect(AppDecision.decide(desired: c.desired, current: c.current, c.changes) == c.expected)
    }

    @Test("a delete, a replace and a redeploy take the recorded VM away; the others keep it")
    func removesVM() {
        let removing: [AppDecision] = [.delete, .replace(fields: ["x"]), .redeploy(fields: ["x"])]
        let keeping: [AppDecision] = [.keep, .deploy, .power(.on), .power(.off)]
        #expect(removing.allSatisfy { $0.removesVM })
        #expect(!keeping.contains { $0.removesVM })
    }
}
