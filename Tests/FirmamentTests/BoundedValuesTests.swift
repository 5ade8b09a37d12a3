import Foundation
import Testing
@testable import FirmBase
@testable import FirmModel
@testable import FirmLocalState
import FirmTestSupport

/// Every value firm writes must pass firm's own reader: at the limits the reader enforces, what
/// is written reads back the same, and a change that would pass a limit is refused with nothing
/// written.
@Suite("State: bounded values at their limits")
struct BoundedValuesTests {
    static func recorder(at serial: Int, _ dir: TempDirectory) throws -> (StateRecorder, StatePaths) {
        let paths = StatePaths(snapshot: dir.file("lab.state.json"))
        let loaded = LoadedState(state: State(lineage: "L", serial: serial, blueprint: "lab"), existed: false)
        return (StateRecorder(loaded, journal: try LocalJournal(loaded, paths: paths)), paths)
    }

    @Test("every bounded field at its limit is written and read back the same")
    func limitsRoundTrip() async throws {
        let dir = TempDirectory()
        let (recorder, paths) = try Self.recorder(at: State.maxSerial - 4, dir)
        var app = StateStoreTests.app(1)
        app.connections = ["low": Connection(vlan: 1, mode: .access, interface: "eth1"), "high": Connection(vlan: 4094, mode: .trunk, interface: "eth2")]
        let record = SandboxRecord(name: "lab", blueprintFile: "/b.json", providers: .object(JSONObject()), home: "/", created: "1970-01-01T00:00:00Z",
                                   lastApplied: "9999-12-31T23:59:59Z", expires: "9999-12-31T23:59:59Z")
        try await recorder.record([.putApp("a", app), .putNetwork("low", NetworkState(provider: "sim", vlan: 1)),
                                   .putNetwork("high", NetworkState(provider: "sim", vlan: 4094)), .putSandbox(record)])
        #expect(recorder.state.serial == State.maxSerial)
        // Read back from the journal, then from a compacted snapshot.
        let fromJournal = try StateStore.load(paths, blueprint: "lab").state
        try await recorder.compact()
        await recorder.close()
        let fromSnapshot = try StateStore.load(paths, blueprint: "lab").state
        #expect(fromJournal == recorder.state)
        #expect(fromSnapshot == recorder.state)
    }

    @Test("a change that would take the serial past 2^52 is refused, and nothing is recorded", arguments: [0, 1, 2])
    func serialLimit(_ spare: Int) async throws {
        let dir = TempDirectory()
        let (recorder, paths) = try Self.recorder(at: State.maxSerial - spare, dir)
        let changes = (0...spare).map { StateChange.putApp("a\($0)", StateStoreTests.app($0)) }
        await #expect(throws: StateError.serialExhausted(serial: State.maxSerial - spare, count: spare + 1)) { try await recorder.record(changes) }
        #expect(recorder.state.serial == State.maxSerial - spare)
        #expect(recorder.state.apps.isEmpty)
        await recorder.close()
        #expect(try StateStore.load(paths, blueprint: "lab").state.apps.isEmpty, "nothing reached the journal")
        // What still fits is recorded.
        let (fitting, _) = try Self.recorder(at: State.maxSerial - spare, TempDirectory())
        try await fitting.record(Array(changes.prefix(spare)))
        #expect(fitting.state.serial == State.maxSerial)
        await fitting.close()
    }
}
