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
import FirmTestSupport

/// `plan` and `drift` start reading the state while the blueprint is checked. The early read is
/// used once: a later settle of the same session reads the state again, and a blueprint's own
/// problems are reported as they would be without it.
@Suite("State read-ahead")
struct StateReadAheadTests {
    static func write(_ dir: TempDirectory, apps: String) {
        dir.write("lab.json", #"{"version": 1, "name": "lab", "providers": {"sim": {"type": "simulated", "settings": {"dataDir": "\#(dir.path)/sim"}}}, "apps": \#(apps)}"#)
    }

    @Test("a session's second settle reads the state as it is now, not the early read")
    func secondSettleReadsAgain() async throws {
        let dir = TempDirectory()
        Self.write(dir, apps: #"{"a": {"deploymentPath": {"provider": "sim", "deploymentType": "small"}}}"#)
        let reader = try Session(blueprintFile: dir.file("lab.json"), statePath: dir.file("lab.state.json"), components: BuiltIn.components(), readAhead: true)
        let first = try await reader.preview(refresh: false)
        #expect(first.plan.actions.map(\.type) == [.deploy, .powerOn, .refreshIP])

        let writer = try Session(blueprintFile: dir.file("lab.json"), statePath: dir.file("lab.state.json"), components: BuiltIn.components())
        let writable = try await writer.open(operation: "apply", lockTimeout: nil, refresh: false)
        let summary = try await writer.execute(first.plan, on: writable, parallelism: 2, stop: StopFlag(), progress: { _ in })
        writable.lock.release()
        #expect(summary.succeeded)

        let second = try await reader.preview(refresh: false)
        #expect(!second.plan.hasChanges, "\(second.plan.actions.map(\.id))")
        #expect(second.state.apps["a"] != nil)
    }

    @Test("with read-ahead, a bad blueprint beside a damaged state reports the blueprint's problem")
    func blueprintProblemsFirst() throws {
        let dir = TempDirectory()
        Self.write(dir, apps: #"{"a": {"deploymentPath": {"provider": "nowhere", "deploymentType": "small"}}}"#)
        dir.write("lab.state.json", "{ damaged")
        let error = #expect(throws: BlueprintError.self) {
            _ = try Session(blueprintFile: dir.file("lab.json"), statePath: dir.file("lab.state.json"), components: BuiltIn.components(), readAhead: true)
        }
        #expect(error?.description.contains("unknown provider \"nowhere\"") == true, "\(String(describing: error))")
    }

    @Test("with read-ahead, a damaged state is reported as it is without it")
    func damagedState() async throws {
        let dir = TempDirectory()
        Self.write(dir, apps: "{}")
        dir.write("lab.state.json", "{ damaged")
        for readAhead in [false, true] {
            let session = try Session(blueprintFile: dir.file("lab.json"), statePath: dir.file("lab.state.json"), components: BuiltIn.components(), readAhead: readAhead)
            let error = await #expect(throws: StateError.self) { _ = try await session.preview(refresh: false) }
            #expect(error?.description.contains("lab.state.json") == true, "read-ahead \(readAhead): \(String(describing: error))")
        }
    }
}
