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

/// The etcd backend when things fail: firm paused mid-apply, etcd members killed or paused.
/// Locks here use a 2 s lease (--lock-ttl), so a lost holder's lock ends quickly. Kills of firm
/// itself are CrashSafetyTests', which run on etcd as on local files.
@Suite("End to end: etcd failures", .serialized, .enabled(if: EtcdCluster.required))
struct EtcdFailureTests {
    @Test("firm paused past its lease while another takes the lock: on SIGCONT it writes nothing more and exits 1", arguments: [StateBackendUnderTest.etcd, .etcds])
    func pausedHolderIsFenced(_ backend: StateBackendUnderTest) async throws {
        let bed = try TestBed(backend)
        defer { bed.stop() }
        let etcd = try #require(bed.etcd), firm = bed.firm, env = bed.env
        // The first runs in a folder of its own, so its simulated cloud is its own: a paused
        // process must not hold the world's file lock that the second needs (no real cloud has
        // one), and what it deploys late stays out of the second's world.
        // Apps only: networks and L3 infrastructure made in the first's world would be recorded
        // for a world the second does not see.
        let apps = (0..<12).map { #""a\#($0)": {"deploymentPath": {"provider": "sim", "deploymentType": "small"}}"# }.joined(separator: ", ")
        let blueprint = #"{"version": 1, "name": "slow", "providers": {"sim": {"type": "simulated", "settings": {"cidr": "10.50.0.0/24", "latency": {"deploy": "400ms"}}}}, "apps": {\#(apps)}}"#
        firm.write("slow.json", blueprint)
        firm.write("first/slow.json", blueprint)
        let (first, out, err) = try firm.start(["apply", "slow.json", "--auto-approve", "--parallelism", "4", "--lock-ttl", "2s"], environment: env, in: "first")
        let outBox = ReadBox(out.fileHandleForReading), errBox = ReadBox(err.fileHandleForReading)
        #expect(waitUntil { (try? etcd.keys("/firm/slow/intent/").isEmpty == false) ?? false }, "the first apply started deploying")
        kill(first.processIdentifier, SIGSTOP)
        #expect(waitUntil(.seconds(10)) { (try? etcd.keys("/firm/slow/lock").isEmpty) ?? false }, "the paused holder's lease ended")

        let second = try firm.run(["apply", "slow.json", "--auto-approve", "--parallelism", "12", "--lock-timeout", "10s"], environment: env)
        #expect(second.code == 0, "\(second.output)")
        let afterSecond = try etcd.keys("/firm/slow/")

        kill(first.processIdentifier, SIGCONT)
        #expect(first.waitUntilExit(limit: .seconds(30)))
        let output = outBox.text() + errBox.text()
        #expect(first.terminationStatus == 1, "\(output)")
        #expect(output.contains("lost the state's lock"), "\(output)")
        let afterFirst = try etcd.keys("/firm/slow/")
        #expect(afterFirst.map(\.key) == afterSecond.map(\.key) && afterFirst.map(\.modRevision) == afterSecond.map(\.modRevision),
                "the fenced holder wrote nothing after the second took over")
        let state = try await etcd.state("slow")
        #expect(state.apps.count == 12 && state.intents.isEmpty)
    }

    @Test("one of three etcd members killed mid-apply: the apply carries on and converges")
    func memberKilled() async throws {
        let bed = try TestBed(.etcd, members: 3)
        defer { bed.stop() }
        let etcd = try #require(bed.etcd), firm = bed.firm, env = bed.env
        firm.write("slow.json", Torture.blueprint(count: 16, variant: 0, latency: #"{"deploy": "150ms..300ms"}"#, name: "slow"))
        let (process, out, err) = try firm.start(["apply", "slow.json", "--auto-approve", "--parallelism", "4", "--lock-ttl", "3s"], environment: env)
        let outBox = ReadBox(out.fileHandleForReading), errBox = ReadBox(err.fileHandleForReading)
        #expect(waitUntil { (try? etcd.keys("/firm/slow/intent/").isEmpty == false) ?? false })
        // The first endpoint is the one firm talks to first.
        etcd.kill(0)
        #expect(process.waitUntilExit(limit: .seconds(60)))
        #expect(process.terminationStatus == 0, "\(outBox.text()) \(errBox.text())")
        let problems = try await Torture.check(firm, name: "slow", state: etcd.state("slow"))
        #expect(problems.isEmpty, "\(problems)")
        let plan = try firm.run(["plan", "slow.json", "--detailed-exitcode"], environment: env)
        #expect(plan.code == 0, "\(plan.output)")
    }

    @Test("a single etcd member paused past the lock's TTL: the apply stops cleanly; once etcd is back the next apply converges")
    func memberPaused() async throws {
        let bed = try TestBed(.etcd)
        defer { bed.stop() }
        let etcd = try #require(bed.etcd), firm = bed.firm, env = bed.env
        firm.write("slow.json", Torture.blueprint(count: 12, variant: 0, latency: #"{"deploy": "300ms"}"#, name: "slow"))
        let (process, out, err) = try firm.start(["apply", "slow.json", "--auto-approve", "--parallelism", "4", "--lock-ttl", "2s"], environment: env)
        let outBox = ReadBox(out.fileHandleForReading), errBox = ReadBox(err.fileHandleForReading)
        #expect(waitUntil { (try? etcd.keys("/firm/slow/intent/").isEmpty == false) ?? false })
        etcd.pause(0)
        // A pause that is what is tested: time passes beyond the lock's 2 s TTL while etcd,
        // stopped, can't say so; nothing can be waited for instead.
        try await Task.sleep(for: .seconds(5))
        etcd.resume(0)
        #expect(process.waitUntilExit(limit: .seconds(60)))
        let output = outBox.text() + errBox.text()
        #expect(!output.contains("Fatal error"), "\(output)")
        if process.terminationStatus != 0 {
            #expect(process.terminationStatus == 1, "\(output)")
            #expect(output.contains("lost the state's lock") || output.contains("no etcd member answered"), "\(output)")
        }
        // Whatever it wrote, it wrote whole: the state reads back.
        _ = try await etcd.state("slow")
        let again = try firm.run(["apply", "slow.json", "--auto-approve", "--lock-timeout", "10s"], environment: env)
        #expect(again.code == 0, "\(again.output)")
        let problems = try await Torture.check(firm, name: "slow", state: etcd.state("slow"))
        #expect(problems.isEmpty, "\(problems)")
    }
}
