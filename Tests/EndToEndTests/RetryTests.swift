import Foundation
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

/// Retries as a user sees them, on the simulated cloud.
@Suite("End to end: retries")
struct RetryTests {
    @Test("a throttling provider converges through retries, and each retry is shown")
    func throttled() async throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        let apps = (0..<12).map { #""a\#($0)": {"deploymentPath": {"provider": "sim", "deploymentType": "small"}}"# }.joined(separator: ", ")
        firm.write("lab.json", """
            {"version": 1, "name": "busy",
             "providers": {"sim": {"type": "simulated", "retries": 12, "settings": {"throttle": 0.3}}},
             "apps": {\(apps)}}
            """)
        let apply = try firm.run(["apply", "lab.json", "--auto-approve", "--refresh=false"])
        #expect(apply.code == 0, "\(apply.output)")
        #expect(apply.stdout.contains("] retry "), "with 36 calls at 30 % throttling, some are retried: \(apply.stdout)")
        #expect(apply.stdout.contains("[Throttling]"))
        let state = try StateStore.load(StatePaths(snapshot: firm.path("state/busy.state.json")), blueprint: "busy").state
        #expect(state.apps.count == 12)
        #expect(state.apps.values.allSatisfy { $0.power == .on })
        let world = try await SimulatedCloud(name: "sim", settings: SimulatedSettings(), baseDirectory: firm.directory).allVMs()
        #expect(world.count == 12, "no retry made a second VM")
    }

    @Test("a terminal failure is not retried, and the summary says it was terminal")
    func terminalNotRetried() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("lab.json", Blueprints.lab(failures: #"{"deploy": ["api"]}"#))
        let apply = try firm.run(["apply", "lab.json", "--auto-approve"], environment: Blueprints.secretEnv)
        #expect(apply.code == 1)
        #expect(!apply.stdout.contains("] retry "), "\(apply.stdout)")
        #expect(apply.stdout.contains("deploy:app.api (terminal): provider \"sim\": deploy failed: injected failure for app \"api\" [InjectedFailure]"), "\(apply.stdout)")
    }
}
