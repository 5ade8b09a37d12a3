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

/// A runner whose every action records one change, as the real runner does after a provider call.
struct RecordingRunner: ActionRunning {
    let recorder: StateRecorder

    func run(_ action: PlannedAction) async -> ActionOutcome {
        do {
            // The provider call's simulated 2 ms, so that records of several actions come together.
            try await Task.sleep(for: .milliseconds(2))
            try await recorder.record(.putApp(action.appName ?? "x", StateStoreTests.app(1)))
            return .succeeded("recorded")
        } catch {
            return ActionRunner.outcome(error)
        }
    }
}

/// A provider that counts the size of each observe batch.
final class CountingProvider: StubProvider, @unchecked Sendable {
    let name = "sim"
    private let lock = NSLock()
    private(set) var batches: [Int] = []

    func observe(_ apps: [DeployedApp]) async throws -> [Observation] {
        lock.withLock { batches.append(apps.count) }
        return apps.map { Observation(vmName: $0.vmName, vmUuid: $0.vmUuid, exists: true, power: .on, addresses: Addresses(privateAddress: $0.address)) }
    }
}

@Suite("Durability, batching and the simulated world")
struct DurabilityTests {
    @Test("a journal that can't be written stops the executor: nothing more starts, and the run says the state could not be recorded")
    func journalFailureStops() async throws {
        let dir = TempDirectory()
        let paths = StatePaths(snapshot: dir.file("lab.state.json"))
        let journal = try JournalFile(path: "/dev/full", truncateTo: nil)
        let recorder = StateRecorder(try StateStore.load(paths, blueprint: "lab"), paths: paths, journal: journal)
        let actions = (0..<20).map { PlannedAction(.powerOn(app: "a\($0)"), reason: "r", provider: "sim") }
        let plan = Plan(blueprintName: "lab", blueprintFile: "lab.json", blueprintDigest: "d", lineage: "L", serial: 0, actions: actions)
        let summary = await Executor(parallelism: 2, runner: RecordingRunner(recorder: recorder)).run(plan, progress: { _ in })
        #expect(summary.fatal)
        #expect(!summary.failed.isEmpty)
        #expect(summary.failed.allSatisfy { $0.message.contains("cannot record the result") && $0.failure.isFatal }, "\(summary.failed)")
        #expect(summary.done.isEmpty, "no action is reported done without its record")
        #expect(summary.notStarted.count >= 18 - summary.failed.count, "nothing new started after the failure: \(summary.notStarted.count) not started")
        #expect(!summary.succeeded)
    }

    @Test("after a journal write fails, later records fail too and the state is not compacted")
    func journalFailureSticks() async throws {
        let dir = TempDirectory()
        let paths = StatePaths(snapshot: dir.file("lab.state.json"))
        let recorder = StateRecorder(try StateStore.load(paths, blueprint: "lab"), paths: paths, journal: try JournalFile(path: "/dev/full", truncateTo: nil))
        for i in 0..<3 {
            await #expect(throws: StateError.self, "record \(i)") { try await recorder.record(.setPower("a", .on)) }
        }
        await #expect(throws: StateError.self) { try await recorder.compact() }
        #expect(!FileManager.default.fileExists(atPath: paths.snapshot), "no snapshot holds the changes the journal refused")
    }

    @Test("refresh asks each provider in batches of at most 100 apps")
    func refreshBatches() async throws {
        var state = State(lineage: "L", blueprint: "lab")
        for i in 0..<250 {
            state.apps["a\(i)"] = AppState(provider: "sim", deploymentPath: DeploymentPath(provider: "sim", deploymentType: "s"), attributes: [:],
                                           vmName: "a\(i)__0", vmUuid: "u\(i)", address: "10.0.0.1", power: .on)
        }
        let provider = CountingProvider()
        _ = try await Refresher.refresh(state, providers: ["sim": provider], parallelism: 2)
        #expect(provider.batches.sorted() == [50, 100, 100])
    }

    /// A simulated cloud whose world is in `dir`, with settings `configure` changes.
    static func cloud(in dir: TempDirectory, _ configure: (inout SimulatedSettings) -> Void = { _ in }) throws -> (settings: SimulatedSettings, cloud: SimulatedCloud) {
        var settings = SimulatedSettings()
        settings.dataDir = dir.path
        configure(&settings)
        return (settings, try SimulatedCloud(name: "sim", settings: settings, baseDirectory: dir.path))
    }

    static let webDeploy = DeployRequest(actionId: "1", appName: "web", vmName: "web__aaaaaa", sandbox: "lab", deploymentType: "s",
                                         deploymentAttributes: [:], appAttributes: [:])

    @Test("the simulated world log is compacted when it grows, and reads back the same world")
    func worldCompaction() async throws {
        let dir = TempDirectory()
        let (settings, cloud) = try Self.cloud(in: dir)
        let result = try await cloud.deploy(Self.webDeploy)
        let app = DeployedApp(appName: "web", vmName: result.vmName, vmUuid: result.vmUuid)
        for i in 0..<1500 {
            if i % 2 == 0 { try await cloud.powerOn(app) } else { try await cloud.powerOff(app) }
        }
        try await cloud.powerOn(app)
        let log = try String(contentsOfFile: dir.file("sim.world"), encoding: .utf8)
        let lines = log.split(separator: "\n").count
        #expect(lines < 1000, "the log of 1,500 changes was compacted: \(lines) lines")
        let reopened = try SimulatedCloud(name: "sim", settings: settings, baseDirectory: dir.path)
        let vms = try await reopened.allVMs()
        #expect(vms.count == 1)
        #expect(vms.first?.status == .running)
        #expect(vms.first?.vmUuid == result.vmUuid)
    }

    struct DeployStepsCase: Sendable, CustomStringConvertible {
        var description: String
        var settings: @Sendable (inout SimulatedSettings) -> Void
        var lines: [String]
    }

    static let deploySteps: [DeployStepsCase] = [
        DeployStepsCase(description: "no latency: one step, stopped", settings: { _ in }, lines: ["stopped"]),
        DeployStepsCase(description: "a zero latency: one step", settings: { $0.latency[.deploy] = LatencyRange(low: .zero, high: .zero) }, lines: ["stopped"]),
        DeployStepsCase(description: "a latency: pending, then stopped", settings: { $0.latency[.deploy] = LatencyRange("1ms") }, lines: ["pending", "stopped"]),
        DeployStepsCase(description: "another operation's latency: one step", settings: { $0.latency[.powerOn] = LatencyRange("1ms") }, lines: ["stopped"]),
        DeployStepsCase(description: "throttling: pending, then stopped", settings: { $0.throttle = 0.000001 }, lines: ["pending", "stopped"]),
        DeployStepsCase(description: "an injected failure for another app: pending, then stopped", settings: { $0.failures[.deploy] = ["db"] },
                        lines: ["pending", "stopped"]),
    ]

    @Test("a simulated deploy is one step unless something can happen between the VM's creation and its readiness", arguments: deploySteps)
    func deployStepCount(_ c: DeployStepsCase) async throws {
        let dir = TempDirectory()
        let cloud = try Self.cloud(in: dir, c.settings).cloud
        let result = try await cloud.deploy(Self.webDeploy)
        let log = try String(contentsOfFile: dir.file("sim.world"), encoding: .utf8).split(separator: "\n")
        #expect(log.map { line in ["pending", "stopped"].first { line.contains("\"status\":\"\($0)\"") } ?? "?" } == c.lines, "\(log)")
        let vms = try await cloud.allVMs()
        #expect(vms.map(\.status) == [.stopped])
        #expect(vms.first?.vmUuid == result.vmUuid && result.deployedAppAddress == vms.first?.ip)
    }

    @Test("a simulated MAC is 02 and five hex bytes, the same for a name every time, and different across names")
    func simulatedMACs() {
        let names = (0..<2_000).map { "app\($0)__\(String($0 * 7919, radix: 16))" } + ["", "web__aaaaaa/vlan100", "ünïcode"]
        let macs = names.map(SimulatedCloud.mac(for:))
        #expect(macs.allSatisfy { $0.wholeMatch(of: /02(:[0-9a-f]{2}){5}/) != nil }, "\(macs.prefix(3))")
        #expect(Set(macs).count == macs.count, "no two of these names share a MAC")
        #expect(names.map(SimulatedCloud.mac(for:)) == macs)
        // FNV-1a 64 of the empty name is cbf29ce484222325: its low five bytes, lowest first.
        #expect(SimulatedCloud.mac(for: "") == "02:25:23:22:84:e4")
    }

    @Test("a cancelled instant deploy makes no VM")
    func cancelledInstantDeploy() async throws {
        let dir = TempDirectory()
        let cloud = try Self.cloud(in: dir).cloud
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await cloud.deploy(Self.webDeploy)
        }
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(try await cloud.allVMs().isEmpty)
    }

    @Test("a world another process holds waits for it, and does not hold up the journal's records meanwhile")
    func heldWorldDoesNotBlockTheJournal() async throws {
        let dir = TempDirectory()
        let world = SimulatedWorldFile(dataDir: dir.path, provider: "sim")
        // flock belongs to an open file description: this one stands for another process.
        let other = open(dir.file("sim.world.lock"), O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        #expect(other >= 0 && flock(other, LOCK_EX) == 0)
        let transaction = Task { try await world.transact { t in t.put(Self.vm(1)); return t.vms.count } }
        // The world opens its lock file, then tries the lock every 2 ms: once it has the file
        // open beside our descriptor, the transaction waits for us.
        let lockFile = realPath(dir.file("sim.world.lock"))
        #expect(await eventually { openFiles().filter { $0 == lockFile }.count >= 2 }, "the transaction came to the world's lock")

        let paths = StatePaths(snapshot: dir.file("lab.state.json"))
        let loaded = try StateStore.load(paths, blueprint: "lab")
        let recorder = try StateRecorder(loaded, paths: paths)
        // The record becomes durable while the world's lock is still held here: had it waited
        // for that lock, it would never finish (the bound only keeps such a failure from hanging).
        let done = Locked(false)
        let record = Task {
            try await recorder.record(.setPower("a", .on))
            done.withLock { $0 = true }
        }
        #expect(await eventually(.seconds(60)) { done.value }, "the journal's record waited for the world's lock")
        #expect(!FileManager.default.fileExists(atPath: dir.file("sim.world")), "nothing was written to the world while it was held")

        flock(other, LOCK_UN)
        close(other)
        try await record.value
        #expect(try await transaction.value == 1)
        await recorder.close()
    }

    static func vm(_ i: Int) -> SimulatedVM {
        SimulatedVM(vmName: "v\(i)", vmUuid: "u\(i)", app: "a\(i)", sandbox: "lab", deploymentType: "s", status: .stopped,
                    ip: "10.0.\(i / 200).\(i % 200 + 2)", publicIp: "", mac: "m\(i)")
    }

    /// Transactions that arrive while one runs are run together, under one lock and one write.
    @Test("the simulated world's concurrent transactions all reach the log, in order, except one that throws")
    func worldBatches() async throws {
        let dir = TempDirectory()
        let world = SimulatedWorldFile(dataDir: dir.path, provider: "sim")
        let counts = try await withThrowingTaskGroup(of: Int?.self) { group in
            for i in 0..<300 {
                group.addTask {
                    do {
                        return try await world.transact { t in
                            t.put(Self.vm(i))
                            if i % 10 == 3 { throw WorldError.other("refused") }
                            return t.vms.count
                        }
                    } catch let error as WorldError where error.description == "refused" {
                        return nil
                    }
                }
            }
            var counts: [Int] = []
            for try await count in group { if let count { counts.append(count) } }
            return counts
        }
        #expect(Set(counts).count == counts.count, "each transaction saw those before it: no two saw the same number of VMs")
        let reopened = SimulatedWorldFile(dataDir: dir.path, provider: "sim")
        let names = try await reopened.transact { t in t.vms.keys.sorted() }
        #expect(names == (0..<300).filter { $0 % 10 != 3 }.map { "v\($0)" }.sorted())
    }

    @Test("a simulated VM is written to the world log as its JSON, without building the JSON first")
    func worldLineBytes() {
        var plain = Self.vm(7)
        #expect({ var out: [UInt8] = []; plain.writeCompact(into: &out); return out }() == JSONWriter(pretty: false).bytes(plain.json))
        plain.vlans = [120: "m\"1", 7: "m\\2", 3000: "x"]
        plain.subnets = ["dmz", "back\tend"]
        plain.publicIp = "203.0.113.9"
        #expect({ var out: [UInt8] = []; plain.writeCompact(into: &out); return out }() == JSONWriter(pretty: false).bytes(plain.json))
    }
}
