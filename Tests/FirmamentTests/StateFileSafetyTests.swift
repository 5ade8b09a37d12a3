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

/// What the state loader, the file reader and the lock refuse, and how they say it.
@Suite("State files: ranges, names, consistency, file types and locks")
struct StateFileSafetyTests {
    static func snapshot(serial: String = "4", apps: String = "{}", version: String = "1") -> String {
        #"{"version": \#(version), "lineage": "L", "serial": \#(serial), "blueprint": "lab", "apps": \#(apps)}"#
    }

    static func app(_ vmName: String, _ uuid: String) -> String {
        #"{"provider": "sim", "deploymentPath": {"provider": "sim", "deploymentType": "s"}, "vmName": "\#(vmName)", "vmUuid": "\#(uuid)", "power": "on"}"#
    }

    struct Case: CustomStringConvertible, Sendable {
        var name: String
        var text: String
        var message: String
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "a serial near Int64.max", text: snapshot(serial: "9223372036854775806"), message: "serial: 9223372036854775806 is out of range"),
        Case(name: "a negative serial", text: snapshot(serial: "-3"), message: "serial: -3 is out of range"),
        Case(name: "a serial beyond Int64", text: snapshot(serial: "99999999999999999999"), message: "serial: expected a whole number"),
        Case(name: "an app named ../x", text: snapshot(apps: #"{"../x": \#(app("x__1", "u1"))}"#), message: "is not a valid app name"),
        Case(name: "two apps on one VM uuid", text: snapshot(apps: #"{"a": \#(app("a__1", "u1")), "b": \#(app("b__1", "u1"))}"#), message: "app.a has the same VM uuid \"u1\""),
        Case(name: "two apps on one VM name", text: snapshot(apps: #"{"a": \#(app("x__1", "u1")), "b": \#(app("x__1", "u2"))}"#), message: "app.a has the same VM name \"x__1\""),
        Case(name: "a provider name that escapes", text: snapshot(apps: #"{"a": \#(app("a__1", "u1").replacingOccurrences(of: #""provider": "sim", "deploymentPath""#, with: #""provider": "../p", "deploymentPath""#))}"#), message: "is not a valid provider name"),
    ]

    @Test("the loader refuses numbers out of range, bad names and shared VMs, with a position", arguments: cases)
    func refused(_ c: Case) throws {
        let dir = TempDirectory()
        let paths = StatePaths(snapshot: dir.file("lab.state.json"))
        try Data(c.text.utf8).write(to: URL(fileURLWithPath: paths.snapshot))
        let error = #expect(throws: StateError.self) { try StateStore.load(paths, blueprint: "lab") }
        guard case .corrupt(let file, let reason)? = error else { Issue.record("\(c.name): \(String(describing: error))"); return }
        #expect(file == paths.snapshot)
        #expect(reason.contains(c.message), "\(c.name): \(reason)")
        #expect(reason.contains("lab.state.json:1:"), "\(c.name): the problem has a position: \(reason)")
    }

    @Test("a journal that gives two apps one VM is refused, naming the journal")
    func sharedVMInJournal() async throws {
        let dir = TempDirectory()
        let paths = StatePaths(snapshot: dir.file("lab.state.json"))
        let recorder = try StateRecorder(try StateStore.load(paths, blueprint: "lab"), paths: paths)
        try await recorder.record([.putApp("a", StateStoreTests.app(1))])
        var copy = StateStoreTests.app(1)
        copy.vmName = "other__1"
        try await recorder.record([.putApp("b", copy)])
        await recorder.close()
        let error = #expect(throws: StateError.self) { try StateStore.load(paths, blueprint: "lab") }
        guard case .corrupt(let file, let reason)? = error else { Issue.record("\(String(describing: error))"); return }
        #expect(file == paths.journal)
        #expect(reason.contains("same VM uuid"))
    }

    @Test("journal serials that go back or repeat are damage, naming the line, whether or not the line is the last", arguments: [
        [1, 2, 2], [1, 3, 2], [2, 1], [5, 4, 6],
    ])
    func serialsOutOfOrder(_ serials: [Int]) throws {
        let dir = TempDirectory()
        let paths = StatePaths(snapshot: dir.file("lab.state.json"))
        var bytes = Journal.header(lineage: "L", blueprint: "lab")
        for (i, serial) in serials.enumerated() { Journal.appendLine(.putApp("a\(i)", StateStoreTests.app(i)), serial: serial, to: &bytes) }
        try Data(bytes).write(to: URL(fileURLWithPath: paths.journal))
        let error = #expect(throws: StateError.self) { try StateStore.load(paths, blueprint: "lab") }
        guard case .corrupt(let file, let reason)? = error else { Issue.record("\(String(describing: error))"); return }
        let line = Array(zip(serials, serials.dropFirst())).firstIndex { $1 <= $0 }.map { $0 + 3 } ?? 0
        #expect(file == paths.journal)
        #expect(reason.contains("journal line \(line): serial"), "\(reason)")
    }

    @Test("a caller that loses the race for the lock names the live holder once it has written who it is, never a previous holder whose process is gone")
    func lockInfoRace() async throws {
        let dir = TempDirectory()
        let paths = StatePaths(snapshot: dir.file("lab.state.json"))
        let held = try await StateLock.acquire(paths, operation: "apply")
        defer { held.release() }
        // What a previous holder left, as the file holds it before the new holder writes: its pid is gone.
        let gone = Process()
        gone.executableURL = URL(fileURLWithPath: "/bin/true")
        try gone.run()
        gone.waitUntilExit()
        let stale = LockInfo(id: "stale", operation: "apply", who: "old@host", pid: gone.processIdentifier, created: "2030-01-01T00:00:00Z", version: "0.1.0")
        func write(_ info: LockInfo) throws { try Data(JSONWriter(pretty: true).bytes(info.json)).write(to: URL(fileURLWithPath: paths.lock)) }
        try write(stale)
        let error = await #expect(throws: StateError.self) { _ = try await StateLock.acquire(paths, operation: "plan") }
        guard case .locked(_, let holder)? = error else { Issue.record("\(String(describing: error))"); return }
        #expect(holder == nil, "the stale holder is not named")
        #expect("\(error!)".contains("has not written who it is"))

        try write(stale)
        // The holder writes who it is 100 ms into the loser's wait (which lasts 500 ms). A thread
        // of its own, so that it writes on time even when the full run starves the cooperative
        // pool; the loser reads again before it looks at its deadline, however late it runs.
        let written = DispatchSemaphore(value: 0)
        let lockFile = URL(fileURLWithPath: paths.lock), live = Data(JSONWriter(pretty: true).bytes(held.info.json))
        Thread {
            usleep(100_000)
            try? live.write(to: lockFile)
            written.signal()
        }.start()
        let named = await #expect(throws: StateError.self) { _ = try await StateLock.acquire(paths, operation: "plan") }
        written.wait()
        guard case .locked(_, let live)? = named else { Issue.record("\(String(describing: named))"); return }
        #expect(live?.id == held.info.id)
    }

    @Test("a state from a newer firm is called that, not corrupt")
    func newer() throws {
        let dir = TempDirectory()
        let paths = StatePaths(snapshot: dir.file("lab.state.json"))
        try Data(Self.snapshot(version: "7").utf8).write(to: URL(fileURLWithPath: paths.snapshot))
        let error = #expect(throws: StateError.self) { try StateStore.load(paths, blueprint: "lab") }
        #expect(error == .newer(location: paths.snapshot, version: 7))
        #expect(error?.description.contains("a newer firm wrote this state") == true)
        #expect(error?.description.contains("corrupt") == false)
    }

    @Test("recovery advice names only files that exist")
    func advice() async throws {
        let dir = TempDirectory()
        let paths = StatePaths(snapshot: dir.file("lab.state.json"))
        try Data("{\"version\": 1,".utf8).write(to: URL(fileURLWithPath: paths.snapshot))
        let first = #expect(throws: StateError.self) { try StateStore.load(paths, blueprint: "lab") }
        #expect(first?.description.contains(".backup") == false, "no backup exists yet: \(String(describing: first))")
        #expect(first?.description.contains("no backup yet") == true)

        // After a compaction there is a backup, and the advice names it.
        try FileManager.default.removeItem(atPath: paths.snapshot)
        let recorder = try StateRecorder(try StateStore.load(paths, blueprint: "lab"), paths: paths)
        try await recorder.record(.putApp("a", StateStoreTests.app(1)))
        try await recorder.compact()
        try await recorder.compact()
        await recorder.close()
        #expect(FileManager.default.fileExists(atPath: paths.backup))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: paths.journal))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("garbage line\n0badc0de {}\n".utf8))
        try handle.close()
        let second = #expect(throws: StateError.self) { try StateStore.load(paths, blueprint: "lab") }
        #expect(second?.description.contains(paths.backup) == true, "\(String(describing: second))")
        #expect(second?.description.contains(".journal.backup") == false)
    }

    @Test("FIFOs, devices, folders and huge files are refused before any byte is read, saying what they are")
    func fileTypes() throws {
        let dir = TempDirectory()
        let fifo = dir.file("pipe")
        #expect(mkfifo(fifo, 0o600) == 0)
        let huge = dir.file("huge.json")
        let fd = open(huge, O_WRONLY | O_CREAT, 0o600)
        #expect(ftruncate(fd, 1 << 30) == 0, "a sparse 1 GiB file")
        close(fd)
        let cases: [(String, FileReadProblem)] = [
            ("/dev/zero", .notRegular("a character device")),
            (fifo, .notRegular("a FIFO (named pipe)")),
            (dir.path, .notRegular("a directory")),
            (huge, .tooLarge(size: 1 << 30, limit: 64 << 20)),
        ]
        for (path, expected) in cases {
            #expect(throws: expected, "\(path)") { try FileIO.readRegular(path, limit: 64 << 20) }
        }
        #expect(throws: BlueprintError.unreadable(file: "/dev/zero", reason: "it is a character device, not a regular file")) {
            try BlueprintDecoder.load(path: "/dev/zero", types: BuiltIn.providerTypes)
        }
        #expect(throws: StateError.io(location: fifo, reason: "it is a FIFO (named pipe), not a regular file")) {
            try StateStore.load(StatePaths(snapshot: fifo), blueprint: nil)
        }
    }

    @Test("a lock file with a pid beyond Int32 is refused with a position, and force-unlock survives it")
    func hugePid() throws {
        let dir = TempDirectory()
        let paths = StatePaths(snapshot: dir.file("lab.state.json"))
        let text = #"{"id": "x", "operation": "apply", "who": "me@host", "pid": 99999999999, "created": "now"}"#
        try Data(text.utf8).write(to: URL(fileURLWithPath: paths.lock))
        let error = #expect(throws: StateError.self) { try StateLock.readInfo(paths.lock) }
        #expect(error?.description.contains("pid: 99999999999 is out of range") == true, "\(String(describing: error))")
        #expect(error?.description.contains(":1:") == true)
        #expect(try StateLock.forceUnlock(paths, id: "x") == .cleared(nil))
    }

    @Test("a second release is harmless: it never closes a descriptor that was reused")
    func releaseTwice() async throws {
        let dir = TempDirectory()
        let paths = StatePaths(snapshot: dir.file("lab.state.json"))
        let lock = try await StateLock.acquire(paths, operation: "apply")
        lock.release()
        // The next open takes the lowest free descriptor: the one the lock had.
        let other = open(dir.file("other"), O_RDWR | O_CREAT, 0o600)
        defer { close(other) }
        lock.release()
        #expect(fcntl(other, F_GETFD) != -1, "the reused descriptor is still open")
    }

    @Test("readers probing the lock never make a writer's acquire fail")
    func readersNeverBlockWriters() async throws {
        let dir = TempDirectory()
        let paths = StatePaths(snapshot: dir.file("lab.state.json"))
        let stop = StopFlag(), active = ProbeCount(), probes = ProbeCount()
        // A thread of its own probes while `active` is odd.
        Thread {
            while !stop.isSet {
                if active.value % 2 == 1 {
                    _ = StateLock.isHeld(paths)
                    probes.add()
                } else {
                    usleep(100)
                }
            }
        }.start()
        // Blocks with and without readers alternate, so that whatever else this process does
        // meanwhile (other tests start children, which hold a copy of the lock's descriptor
        // for an instant between fork and exec) weighs on both counts alike.
        var withReaders = 0, without = 0
        for block in 0..<160 {
            let readers = block % 2 == 0
            if readers {
                active.add()
                while probes.value == 0 { usleep(100) }
            }
            for _ in 0..<10 {
                do {
                    let lock = try await StateLock.acquire(paths, operation: "apply")
                    lock.release()
                } catch {
                    if readers { withReaders += 1 } else { without += 1 }
                }
            }
            if readers { active.add() }
        }
        stop.set()
        #expect(probes.value > 10)
        // Readers that took the lock to probe it made tens of the 800 attempts fail, where the
        // children of other tests cost a few either way.
        #expect(withReaders <= without + max(10, without),
                "\(withReaders) of 800 acquires failed while readers probed, \(without) of 800 without")
    }

    @Test("a held lock is seen by a probe, and a waiting acquire gives up at its timeout")
    func lockTimeout() async throws {
        let dir = TempDirectory()
        let paths = StatePaths(snapshot: dir.file("lab.state.json"))
        let held = try await StateLock.acquire(paths, operation: "apply")
        defer { held.release() }
        #expect(StateLock.isHeld(paths))
        let error = await #expect(throws: StateError.self) { try await StateLock.acquire(paths, operation: "destroy", timeout: .milliseconds(200)) }
        guard case .locked(_, let holder)? = error else { Issue.record("\(String(describing: error))"); return }
        #expect(holder?.id == held.info.id)
    }
}

/// A counter shared with a thread.
final class ProbeCount: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
