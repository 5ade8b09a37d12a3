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

/// The same sessions, run over the local files and over memory: the executor's group commit,
/// intents, recovery and locking work through the StateBackend protocol alone.
@Suite("State backends: one seam, two backends")
struct BackendSeamTests {
    enum Kind: String, CaseIterable, Sendable { case local, memory }

    static func backend(_ kind: Kind, _ dir: TempDirectory) -> any StateBackend {
        switch kind {
        case .local: LocalStateBackend(paths: StatePaths(snapshot: dir.file("lab.state.json")))
        case .memory: MemoryStateBackend()
        }
    }

    static func blueprint(_ dir: TempDirectory, apps: Int) throws -> Blueprint {
        let list = (0..<apps).map { #""a\#($0)": {"deploymentPath": {"provider": "sim", "deploymentType": "small"}}"# }.joined(separator: ", ")
        let text = #"{"version": 1, "name": "lab", "providers": {"sim": {"type": "simulated", "settings": {"dataDir": "\#(dir.path)/sim"}}}, "apps": {\#(list)}}"#
        return try BlueprintDecoder.decode(Array(text.utf8), file: "lab.json", types: BuiltIn.providerTypes)
    }

    @Test("an apply records every result, compacts, and a second session finds nothing to do", arguments: Kind.allCases)
    func applyThenNoChanges(_ kind: Kind) async throws {
        let dir = TempDirectory()
        let backend = Self.backend(kind, dir)
        let blueprint = try Self.blueprint(dir, apps: 20)
        let session = try Session(blueprint: blueprint, blueprintFile: "lab.json", backend: backend, components: BuiltIn.components(), baseDirectory: dir.path)
        let writable = try await session.open(operation: "apply", lockTimeout: nil, refresh: true)
        let plan = Planner.plan(blueprint: blueprint, blueprintFile: "lab.json", state: writable.recorder.state)
        #expect(plan.actions.count == 60)
        let summary = try await session.execute(plan, on: writable, parallelism: 8, stop: StopFlag(), progress: { _ in })
        writable.lock.release()
        #expect(summary.succeeded, "\(summary.failed)")
        let loaded = try await backend.load(blueprint: "lab", writer: false)
        #expect(loaded.state.apps.count == 20)
        #expect(loaded.state.apps.values.allSatisfy { $0.power == .on && !$0.address.isEmpty })
        #expect(loaded.state.intents.isEmpty)
        #expect(!loaded.journalHasRecords, "compacted")
        let again = try await session.preview(refresh: true)
        #expect(!again.plan.hasChanges)
        if let memory = backend as? MemoryStateBackend {
            #expect(memory.compactions == 1)
            #expect(memory.appends < 80, "records that finish together share an append: \(memory.appends) appends for 60 actions and 20 intents")
        }
    }

    @Test("an intent left by a run that died is recovered by the next session", arguments: Kind.allCases)
    func recoveryThroughTheSeam(_ kind: Kind) async throws {
        let dir = TempDirectory()
        let backend = Self.backend(kind, dir)
        let blueprint = try Self.blueprint(dir, apps: 1)
        let session = try Session(blueprint: blueprint, blueprintFile: "lab.json", backend: backend, components: BuiltIn.components(), baseDirectory: dir.path)
        // A deploy that reached the cloud but whose result was never recorded.
        let writable = try await session.open(operation: "apply", lockTimeout: nil, refresh: false)
        let request = DeployRequest(actionId: "i1", appName: "a0", vmName: "a0__abcdef", sandbox: "lab", deploymentType: "small",
                                    deploymentAttributes: [:], appAttributes: [:])
        try await writable.recorder.record(.beginIntent(Intent(id: "i1", operation: .deploy, app: "a0", provider: "sim", vmName: "a0__abcdef",
                                                                started: "t", deploymentPath: blueprint.apps["a0"]!.deploymentPath)))
        _ = try await session.providers["sim"]!.deploy(request)
        await writable.recorder.close()
        writable.lock.release()

        let preview = try await session.preview(refresh: true)
        #expect(preview.recovered.first?.message.contains("adopted VM a0__abcdef") == true)
        #expect(!preview.plan.actions.contains { $0.type == .deploy }, "the adopted VM is not deployed again")
        let reopened = try await session.open(operation: "apply", lockTimeout: nil, refresh: false)
        reopened.lock.release()
        let state = try await backend.load(blueprint: "lab", writer: false).state
        #expect(state.intents.isEmpty)
        #expect(state.apps["a0"]?.vmName == "a0__abcdef")
    }

    @Test("a held lock refuses a second writer and says who holds it; readers see it without taking it", arguments: Kind.allCases)
    func locking(_ kind: Kind) async throws {
        let dir = TempDirectory()
        let backend = Self.backend(kind, dir)
        let held = try await backend.lock(operation: "apply", timeout: nil)
        let peek = await backend.peek()
        #expect(peek.held)
        #expect(peek.holder?.id == held.info.id)
        let error = await #expect(throws: StateError.self) { try await backend.lock(operation: "destroy", timeout: nil) }
        guard case .locked(_, let holder)? = error else { Issue.record("\(String(describing: error))"); return }
        #expect(holder?.id == held.info.id)
        held.release()
        held.release()
        #expect(await backend.peek().held == false)
        let next = try await backend.lock(operation: "destroy", timeout: nil)
        next.release()
    }
}
