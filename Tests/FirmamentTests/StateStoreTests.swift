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

@Suite("State store")
struct StateStoreTests {
    static func app(_ n: Int) -> AppState {
        AppState(provider: "sim", deploymentPath: DeploymentPath(provider: "sim", deploymentType: "small"), attributes: [:],
                 vmName: "a\(n)__000000", vmUuid: "u\(n)", address: "10.0.0.\(n)", power: .on)
    }

    @Test("a missing state loads as a new, empty one")
    func newState() throws {
        let dir = TempDirectory()
        let loaded = try StateStore.load(StatePaths(snapshot: dir.file("lab.state.json")), blueprint: "lab")
        #expect(!loaded.existed)
        #expect(loaded.state.apps.isEmpty)
        #expect(loaded.state.serial == 0)
    }

    @Test("recorded changes survive without compaction, as after a crash")
    func journalReplay() async throws {
        let dir = TempDirectory()
        let paths = StatePaths(snapshot: dir.file("lab.state.json"))
        let recorder = try StateRecorder(try StateStore.load(paths, blueprint: "lab"), paths: paths)
        try await recorder.record(.putApp("a", Self.app(1)))
        try await recorder.record([.putApp("b", Self.app(2)), .removeApp("a")])
        await recorder.close()
        let loaded = try StateStore.load(paths, blueprint: "lab")
        #expect(loaded.state.apps.keys.sorted() == ["b"])
        #expect(loaded.state.serial == 3)
        #expect(loaded.state.lineage == recorder.state.lineage)
    }

    @Test("compaction writes a 0600 snapshot and keeps the serial and lineage")
    func compaction() async throws {
        let dir = TempDirectory()
        let paths = StatePaths(snapshot: dir.file("lab.state.json"))
        let recorder = try StateRecorder(try StateStore.load(paths, blueprint: "lab"), paths: paths)
        for i in 0..<5 { try await recorder.record(.putApp("a\(i)", Self.app(i))) }
        try await recorder.compact()
        try await recorder.record(.removeApp("a0"))
        try await recorder.compact()
        await recorder.close()
        let attributes = try FileManager.default.attributesOfItem(atPath: paths.snapshot)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let loaded = try StateStore.load(paths, blueprint: "lab")
        #expect(loaded.state.apps.count == 4)
        #expect(loaded.state.serial == 6)
        #expect(!loaded.journalHasRecords)
        #expect(FileManager.default.fileExists(atPath: paths.backup))
    }

    @Test("a torn journal tail is dropped with a warning, and cut before the next append")
    func tornTail() async throws {
        let dir = TempDirectory()
        let paths = StatePaths(snapshot: dir.file("lab.state.json"))
        let recorder = try StateRecorder(try StateStore.load(paths, blueprint: "lab"), paths: paths)
        try await recorder.record(.putApp("a", Self.app(1)))
        try await recorder.record(.putApp("b", Self.app(2)))
        await recorder.close()
        // Cut the last record in half, as a crash mid-write leaves it.
        let bytes = try FileIO.read(paths.journal)!
        try Data(bytes[0..<(bytes.count - 40)]).write(to: URL(fileURLWithPath: paths.journal))
        let loaded = try StateStore.load(paths, blueprint: "lab")
        #expect(loaded.state.apps.keys.sorted() == ["a"])
        #expect(loaded.warnings.count == 1)
        #expect(loaded.warnings.first?.contains("dropped an incomplete last record") == true)
        let again = try StateRecorder(loaded, paths: paths)
        try await again.record(.putApp("c", Self.app(3)))
        await again.close()
        let reloaded = try StateStore.load(paths, blueprint: "lab")
        #expect(reloaded.state.apps.keys.sorted() == ["a", "c"])
        #expect(reloaded.warnings.isEmpty)
    }

    @Test("a reader ignores, without a warning, the half-written last record of an apply that holds the lock")
    func tornTailWhileLocked() async throws {
        let dir = TempDirectory()
        let paths = StatePaths(snapshot: dir.file("lab.state.json"))
        let recorder = try StateRecorder(try StateStore.load(paths, blueprint: "lab"), paths: paths)
        try await recorder.record(.putApp("a", Self.app(1)))
        await recorder.close()
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: paths.journal))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("0badc0de {\"serial\":2,".utf8))
        try handle.close()
        let lock = try await StateLock.acquire(paths, operation: "apply")
        let loaded = try StateStore.load(paths, blueprint: "lab")
        #expect(loaded.state.apps.keys.sorted() == ["a"])
        #expect(loaded.warnings.isEmpty)
        #expect(try StateStore.load(paths, blueprint: "lab", writer: true).warnings.count == 1, "the lock holder is told")
        lock.release()
        #expect(try StateStore.load(paths, blueprint: "lab").warnings.count == 1)
    }

    @Test("damage before the last journal record is refused, not guessed at")
    func damagedMiddle() async throws {
        let dir = TempDirectory()
        let paths = StatePaths(snapshot: dir.file("lab.state.json"))
        let recorder = try StateRecorder(try StateStore.load(paths, blueprint: "lab"), paths: paths)
        for i in 0..<3 { try await recorder.record(.putApp("a\(i)", Self.app(i))) }
        await recorder.close()
        var text = dir.read("lab.state.json.journal")!
        text = text.replacingOccurrences(of: "a1__000000", with: "a1__000001")
        dir.write("lab.state.json.journal", text)
        #expect(throws: StateError.self) { try StateStore.load(paths, blueprint: "lab") }
    }

    @Test("a corrupt snapshot is refused and left untouched")
    func corruptSnapshot() throws {
        let dir = TempDirectory()
        dir.write("lab.state.json", "{\"version\": 1, \"lineage\": ")
        let paths = StatePaths(snapshot: dir.file("lab.state.json"))
        #expect(throws: StateError.self) { try StateStore.load(paths, blueprint: "lab") }
        #expect(dir.read("lab.state.json") == "{\"version\": 1, \"lineage\": ")
    }

    @Test("a state of another blueprint is refused")
    func wrongBlueprint() async throws {
        let dir = TempDirectory()
        let paths = StatePaths(snapshot: dir.file("s.json"))
        let recorder = try StateRecorder(try StateStore.load(paths, blueprint: "one"), paths: paths)
        try await recorder.record(.putApp("a", Self.app(1)))
        try await recorder.compact()
        await recorder.close()
        #expect(throws: StateError.wrongBlueprint(location: paths.snapshot, expected: "two", found: "one")) {
            try StateStore.load(paths, blueprint: "two")
        }
    }

    @Test("the lock is exclusive and says who holds it")
    func lockHolder() async throws {
        let dir = TempDirectory()
        let paths = StatePaths(snapshot: dir.file("lab.state.json"))
        let first = try await StateLock.acquire(paths, operation: "apply")
        do {
            _ = try await StateLock.acquire(paths, operation: "apply")
            Issue.record("second lock taken")
        } catch {
            guard case StateError.locked(_, let holder) = error else { Issue.record("\(error)"); return }
            #expect(holder?.id == first.info.id)
            #expect(holder?.operation == "apply")
            #expect(holder?.pid == getpid())
        }
        first.release()
        let second = try await StateLock.acquire(paths, operation: "destroy")
        second.release()
    }

    @Test("many concurrent records are all durable, in serial order")
    func groupCommit() async throws {
        let dir = TempDirectory()
        let paths = StatePaths(snapshot: dir.file("lab.state.json"))
        let recorder = try StateRecorder(try StateStore.load(paths, blueprint: "lab"), paths: paths)
        await withTaskGroup(of: Void.self) { group in
            for i in 0..<500 { group.addTask { try? await recorder.record(.putApp("a\(i)", Self.app(i))) } }
        }
        await recorder.close()
        let loaded = try StateStore.load(paths, blueprint: "lab")
        #expect(loaded.state.apps.count == 500)
        #expect(loaded.state.serial == 500)
    }
}

extension StateStoreTests {
    @Test("a power or address change records only what changed, however large the app is")
    func deltaRecords() async throws {
        let dir = TempDirectory()
        let paths = StatePaths(snapshot: dir.file("lab.state.json"))
        let recorder = try StateRecorder(try StateStore.load(paths, blueprint: "lab"), paths: paths)
        var big = Self.app(1)
        for i in 0..<200 { big.deployedAttributes["Attribute\(i)"] = String(repeating: "v", count: 100) }
        try await recorder.record(.putApp("a", big))
        let before = try FileManager.default.attributesOfItem(atPath: paths.journal)[.size] as! Int
        try await recorder.record(.setPower("a", .off))
        try await recorder.record(.setAddresses("a", Addresses(privateAddress: "10.0.0.77", publicAddress: "203.0.113.7")))
        await recorder.close()
        let after = try FileManager.default.attributesOfItem(atPath: paths.journal)[.size] as! Int
        #expect(after - before < 300, "two delta records took \(after - before) bytes; the app alone is over 20 KB")
        let loaded = try StateStore.load(paths, blueprint: "lab").state
        #expect(loaded.apps["a"]?.power == .off)
        #expect(loaded.apps["a"]?.address == "10.0.0.77")
        #expect(loaded.apps["a"]?.publicAddress == "203.0.113.7")
        #expect(loaded.apps["a"]?.deployedAttributes.count == 200)
    }
}
