import Foundation
import Synchronization
import Testing
@testable import FirmModel
@testable import FirmEC2
import FirmTestSupport

/// A fake EC2 that records each RunInstances (its parameters, and the slots recorded by then)
/// and answers `answered(count)` instances for a call of `count`.
final class FakeLaunches: Sendable {
    struct Call: Sendable {
        var parameters: [String: String]
        /// The slots every member had recorded when the call was sent.
        var recordedBefore: [String: LaunchSlot]
    }
    private let log = Mutex<[Call]>([])
    let slots = Mutex<[String: LaunchSlot]>([:])
    let answered: @Sendable (Int) -> Int
    let failRecording: Set<String>

    init(failRecording: Set<String> = [], answered: @escaping @Sendable (Int) -> Int = { $0 }) {
        self.answered = answered
        self.failRecording = failRecording
    }

    var calls: [Call] { log.withLock { $0 } }
    private let next = Mutex(0)

    func launcher(window: Duration = .milliseconds(300)) -> EC2Launcher {
        EC2Launcher(provider: "aws", sandbox: "lab", window: window) { parameters, _ in
            let byName = Dictionary(parameters, uniquingKeysWith: { $1 })
            self.log.withLock { $0.append(Call(parameters: byName, recordedBefore: self.slots.withLock { $0 })) }
            let count = Int(byName["MaxCount"] ?? "") ?? 0
            let items = (0..<self.answered(count)).map { index in
                let id = self.next.withLock { n in
                    n += 1
                    return String(format: "i-%017x", n)
                }
                return "<item><instanceId>\(id)</instanceId><amiLaunchIndex>\(index)</amiLaunchIndex><instanceState><name>pending</name></instanceState></item>"
            }
            return XMLTree.parse(Data("<RunInstancesResponse><instancesSet>\(items.joined())</instancesSet></RunInstancesResponse>".utf8))!
        }
    }

    func member(_ vmName: String) -> EC2Launcher.Member {
        EC2Launcher.Member(app: String(vmName.prefix { $0 != "_" }), vmName: vmName, recorder: LaunchRecorder { slot in
            if self.failRecording.contains(vmName) { throw ProviderError(provider: "state", operation: "record", message: "the disk is full") }
            self.slots.withLock { $0[vmName] = slot }
        })
    }
}

/// What each of `vmNames` got, launched concurrently with `spec`.
func launchAll(_ launcher: EC2Launcher, _ fake: FakeLaunches, _ vmNames: [String], spec: EC2Launcher.Spec = EC2Launcher.Spec([("ImageId", "ami-1e749f67")]))
    async -> [String: Result<EC2Launcher.Launched, any Error>] {
    await withTaskGroup(of: (String, Result<EC2Launcher.Launched, any Error>).self) { group in
        for name in vmNames {
            group.addTask {
                do { return (name, .success(try await launcher.launch(spec, fake.member(name)))) } catch { return (name, .failure(error)) }
            }
        }
        var results: [String: Result<EC2Launcher.Launched, any Error>] = [:]
        for await (name, result) in group { results[name] = result }
        return results
    }
}

@Suite("EC2Launcher: deploys with identical launch specs become one RunInstances, each instance found again by its slot")
struct EC2LauncherTests {
    static let names = ["web__000003", "api__000001", "db__000002", "cache__000005", "queue__000004"]

    @Test("five deploys in one window: one call of MinCount = MaxCount = 5, every slot durable before it, each member its instance by launch index in name order")
    func oneCall() async throws {
        let fake = FakeLaunches()
        let results = await launchAll(fake.launcher(), fake, Self.names)
        #expect(fake.calls.count == 1)
        let call = try #require(fake.calls.first)
        #expect(call.parameters["MinCount"] == "5" && call.parameters["MaxCount"] == "5")
        let token = EC2Launcher.token(Self.names.sorted(), sandbox: "lab")
        #expect(call.parameters["ClientToken"] == token && token.utf8.count <= 64)
        #expect(call.recordedBefore.count == 5, "every slot was recorded before the call: \(call.recordedBefore)")
        // The launch's tags: the sandbox and the token; no Name, which differs per instance.
        let tags = Set(call.parameters.filter { $0.key.hasPrefix("TagSpecification.1.Tag.") }.values)
        #expect(tags == ["firm:sandbox", "lab", "firm:launch", token])
        for (i, name) in Self.names.sorted().enumerated() {
            let launched = try #require(try? results[name]?.get())
            #expect(launched.slot == LaunchSlot(token: token, index: i))
            #expect(launched.instance.launchIndex == i)
            #expect(call.recordedBefore[name] == launched.slot)
        }
    }

    @Test("the same members retried together send the same token, so EC2 answers the first launch again")
    func sameToken() async throws {
        let fake = FakeLaunches()
        _ = await launchAll(fake.launcher(), fake, Self.names)
        _ = await launchAll(fake.launcher(), fake, Self.names.reversed())
        #expect(fake.calls.count == 2 && fake.calls[0].parameters["ClientToken"] == fake.calls[1].parameters["ClientToken"])
        _ = await launchAll(fake.launcher(), fake, Array(Self.names.dropFirst()))
        #expect(fake.calls.count == 3 && fake.calls[2].parameters["ClientToken"] != fake.calls[0].parameters["ClientToken"])
    }

    @Test("different launch specs are different calls")
    func specs() async throws {
        let fake = FakeLaunches()
        let launcher = fake.launcher()
        async let small = launchAll(launcher, fake, ["a__1", "b__1"], spec: EC2Launcher.Spec([("ImageId", "ami-1e749f67"), ("InstanceType", "t3.micro")]))
        async let large = launchAll(launcher, fake, ["c__1", "d__1"], spec: EC2Launcher.Spec([("ImageId", "ami-1e749f67"), ("InstanceType", "m5.large")]))
        let all = await small.merging(await large) { $1 }
        #expect(all.values.allSatisfy { (try? $0.get()) != nil })
        #expect(fake.calls.count == 2)
        #expect(Set(fake.calls.compactMap { $0.parameters["InstanceType"] }) == ["t3.micro", "m5.large"])
        #expect(fake.calls.allSatisfy { $0.parameters["MaxCount"] == "2" })
    }

    @Test("an answer with fewer instances than asked: the members left over go in a second call, with a token of their own")
    func partial() async throws {
        let fake = FakeLaunches { count in count == 5 ? 3 : count }
        let results = await launchAll(fake.launcher(), fake, Self.names)
        #expect(fake.calls.map { $0.parameters["MaxCount"] } == ["5", "2"])
        #expect(fake.calls[0].parameters["ClientToken"] != fake.calls[1].parameters["ClientToken"])
        let launched = Self.names.compactMap { try? results[$0]?.get() }
        #expect(launched.count == 5 && Set(launched.map(\.instance.id)).count == 5)
        // The two left over were recorded again, in their own launch.
        let late = Self.names.sorted().suffix(2)
        for name in late { #expect(fake.slots.withLock { $0[name]?.token } == fake.calls[1].parameters["ClientToken"]) }
    }

    @Test("an endpoint that launches fewer than asked every time: the member left over is asked for alone, and fails with a clear error")
    func neverAll() async throws {
        let fake = FakeLaunches { count in count - 1 }
        let results = await launchAll(fake.launcher(), fake, Array(Self.names.prefix(4)))
        #expect(fake.calls.map { $0.parameters["MaxCount"] } == ["4", "1"], "4 asked, 3 made; 1 asked alone, none made")
        let failed = results.filter { (try? $0.value.get()) == nil }
        #expect(failed.count == 1)
        #expect(failed.values.first.map { "\($0)" }?.contains("RunInstances answered no instance") == true, "\(failed)")
    }

    @Test("a slot that can't be recorded: nothing is launched, and every member fails")
    func recordingFails() async throws {
        let fake = FakeLaunches(failRecording: ["db__000002"])
        let results = await launchAll(fake.launcher(), fake, Self.names)
        #expect(fake.calls.isEmpty)
        #expect(results.values.allSatisfy { (try? $0.get()) == nil })
    }

    @Test("a deploy alone in its window is one instance named in the call itself, with no slot")
    func alone() async throws {
        let fake = FakeLaunches()
        let results = await launchAll(fake.launcher(window: .milliseconds(20)), fake, ["web__000001"])
        let call = try #require(fake.calls.first)
        #expect(call.parameters["MaxCount"] == "1" && call.parameters["ClientToken"] == "lab/web__000001")
        #expect(Set(call.parameters.filter { $0.key.hasPrefix("TagSpecification.1.Tag.") }.values).isSuperset(of: ["Name", "web__000001", "firm:app", "web"]))
        #expect(try results["web__000001"]?.get().slot == nil)
        #expect(call.recordedBefore.isEmpty)
    }
}
