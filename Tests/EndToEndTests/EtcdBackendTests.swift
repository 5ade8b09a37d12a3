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

/// The etcd backend end to end: the built `firm` against a real etcd on free ports, with the
/// state named by FIRM_STATE (and by --state in a few places, to check both).
@Suite("End to end: state on etcd", .serialized, .enabled(if: EtcdCluster.required))
struct EtcdBackendTests {
    func worldVMs(_ firm: FirmProcess) async throws -> [SimulatedVM] {
        try await SimulatedCloud(name: "sim", settings: SimulatedSettings(), baseDirectory: firm.directory).allVMs()
    }

    // The lifecycle, drift, locks and kills run on etcd as on local files (LifecycleTests,
    // DriftTests, CrashSafetyTests); here is what only etcd has.

    @Test("the layout on etcd: one key per app, the sandbox's record, no lock after exit, no file state and no secret; --state and FIRM_STATE name the same state; state list, show and rm")
    func layout() async throws {
        let bed = try TestBed(.etcd)
        defer { bed.stop() }
        let firm = bed.firm, etcd = try #require(bed.etcd)
        firm.write("lab.json", Blueprints.lab())

        let apply = try bed.run(["apply", "lab.json", "--auto-approve"])
        #expect(apply.code == 0, "\(apply.output)")
        #expect(try await worldVMs(firm).count == 3)
        #expect(!firm.exists("state"), "nothing is written to local files")
        let keys = try etcd.keys("/firm/").map(\.key)
        #expect(keys.contains("/firm/lab/meta") && keys.contains("/firm/lab/app/web") && keys.contains("/firm/lab/app/db"), "\(keys)")
        #expect(keys.contains("/firm/_sandboxes/lab"))
        #expect(!keys.contains("/firm/lab/lock"), "the lock is released when firm exits")
        let values = try etcd.keys("/firm/").map(\.value).joined()
        #expect(!values.contains("hunter2"), "no secret reaches etcd")

        let same = try firm.run(["plan", "lab.json", "--detailed-exitcode", "--state", etcd.url()], environment: Blueprints.secretEnv)
        #expect(same.code == 0, "--state names the state FIRM_STATE named: \(same.output)")

        let list = try bed.run(["state", "list", "lab.json"])
        #expect(list.stdout.split(separator: "\n") == ["app.api", "app.db", "app.web"], "\(list.output)")
        let show = try bed.run(["state", "show", "app.web", "--sandbox", "lab"])
        #expect(show.code == 0 && show.stdout.contains("\"power\": \"on\""), "\(show.output)")
        let listing = try bed.run(["sandboxes", "--json"])
        let rows = try JSONReader.parse(listing.stdout).plain.arrayValue ?? []
        #expect(rows.map { $0["name"]?.stringValue } == ["lab"] && rows.first?["status"] == "active", "\(listing.output)")

        let rm = try bed.run(["state", "rm", "lab.json", "app.api"])
        #expect(rm.code == 0, "\(rm.output)")
        #expect(try etcd.keys("/firm/lab/app/").map(\.key) == ["/firm/lab/app/db", "/firm/lab/app/web"])
        #expect(try await etcd.state("lab").apps["api"] == nil)

        let destroy = try bed.run(["destroy", "lab.json", "--auto-approve"])
        #expect(destroy.code == 0, "\(destroy.output)")
        // api was forgotten, so its VM stays: destroy manages only what the state knows.
        #expect(try await worldVMs(firm).map(\.app) == ["api"])
        #expect(try etcd.keys("/firm/lab/app/").isEmpty)
    }

    @Test("hostile keys: a damaged value, an unknown key or a newer meta is refused naming the key, and nothing is written")
    func hostileKeys() async throws {
        let bed = try TestBed(.etcd)
        defer { bed.stop() }
        let etcd = try #require(bed.etcd)
        bed.firm.write("lab.json", Blueprints.lab())
        #expect(try bed.run(["apply", "lab.json", "--auto-approve"]).code == 0)
        let good = try #require(try etcd.keys("/firm/lab/app/web").first).value
        let cases: [(key: String, value: String, expect: String)] = [
            ("/firm/lab/app/web", #"{"deploymentPath": 7}"#, "/firm/lab/app/web"),
            ("/firm/lab/app/web", "{not json", "/firm/lab/app/web:1:2"),
            ("/firm/lab/app/9bad", good, "is not a valid app name"),
            ("/firm/lab/extra", "{}", "a key firm does not write"),
            ("/firm/lab/meta", #"{"version": 9, "lineage": "x", "serial": 1, "blueprint": "lab"}"#, "a newer firm wrote this state"),
        ]
        for c in cases {
            let before = try etcd.keys("/firm/").filter { $0.key != c.key }
            let original = try etcd.keys(c.key).first?.value
            try etcd.put(c.key, c.value)
            let plan = try bed.run(["apply", "lab.json", "--auto-approve"])
            #expect(plan.code == 1, "\(c.key) = \(c.value): \(plan.output)")
            #expect(plan.stderr.contains(c.expect), "\(c.key) = \(c.value): \(plan.stderr)")
            #expect(!plan.stderr.contains("Fatal") && !plan.stderr.contains("Trace"))
            #expect(!plan.stderr.contains("/firm/firm/"), "a key's location holds the prefix once: \(plan.stderr)")
            let after = try etcd.keys("/firm/").filter { $0.key != c.key }
            #expect(after.map(\.modRevision) == before.map(\.modRevision), "nothing else was written")
            if let original { try etcd.put(c.key, original) } else { try etcd.delete(c.key) }
        }
        #expect(try bed.run(["plan", "lab.json", "--detailed-exitcode"]).code == 0)
    }

    @Test("bad etcd URLs, an etcd that does not answer, and a wrong password are clear errors")
    func badAddresses() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("lab.json", Blueprints.lab())
        let cases: [(String, String)] = [
            ("etcd://127.0.0.1/firm", "HOST:PORT"),
            ("etcd://127.0.0.1:99999/firm", "port from 1 to 65535"),
            ("etcd://127.0.0.1:2379", "no key prefix"),
            ("etcd://127.0.0.1:2379/fi rm", "may hold only"),
            ("consul://127.0.0.1:8500/firm", "no state backend for \"consul://\""),
        ]
        for (url, expect) in cases {
            let result = try firm.run(["plan", "lab.json", "--state", url])
            #expect(result.code == 1, "\(url): \(result.output)")
            #expect(result.stderr.contains(expect), "\(url): \(result.stderr)")
        }
        let port = freePort()
        let start = Date()
        let down = try firm.run(["plan", "lab.json", "--state", "etcd://127.0.0.1:\(port)/firm"])
        #expect(down.code == 1 && down.stderr.contains("no etcd member answered"), "\(down.output)")
        #expect(Date().timeIntervalSince(start) < 60)
        let bad = try firm.run(["plan", "lab.json", "--lock-ttl", "1s"])
        #expect(bad.code == 64 && bad.stderr.contains("--lock-ttl"))
    }

    @Test("auth on: the right user and password work, a wrong password fails clearly and writes nothing", arguments: [StateBackendUnderTest.etcd, .etcds])
    func auth(_ backend: StateBackendUnderTest) throws {
        let bed = try TestBed(backend)
        defer { bed.stop() }
        let etcd = try #require(bed.etcd), firm = bed.firm
        for args in [["role", "add", "root"], ["user", "add", "root:rootpw"], ["user", "grant-role", "root", "root"],
                     ["user", "add", "firm:s3cret-firm"], ["role", "add", "firm"],
                     ["role", "grant-permission", "firm", "--prefix=true", "readwrite", "/firm/"], ["user", "grant-role", "firm", "firm"],
                     ["auth", "enable"]] {
            let r = try etcd.etcdctl(args)
            try #require(r.code == 0, "etcdctl \(args): \(r.output)")
        }
        firm.write("lab.json", Blueprints.lab())
        let base = bed.env.merging(["FIRM_ETCD_USER": "firm"]) { $1 }
        let wrong = try firm.run(["apply", "lab.json", "--auto-approve"], environment: base.merging(["FIRM_ETCD_PASSWORD": "nope"]) { $1 })
        #expect(wrong.code == 1, "\(wrong.output)")
        #expect(wrong.stderr.contains("authentication failed"), "\(wrong.stderr)")
        #expect(!firm.exists(".firm/sim/sim.world"))
        let none = try firm.run(["apply", "lab.json", "--auto-approve"], environment: bed.env)
        #expect(none.code == 1, "without a user, etcd refuses: \(none.output)")
        let right = try firm.run(["apply", "lab.json", "--auto-approve"], environment: base.merging(["FIRM_ETCD_PASSWORD": "s3cret-firm"]) { $1 })
        #expect(right.code == 0, "\(right.output)")
        #expect(!right.output.contains("s3cret-firm"))
        let drift = try firm.run(["drift", "lab.json"], environment: base.merging(["FIRM_ETCD_PASSWORD": "s3cret-firm"]) { $1 })
        #expect(drift.code == 0, "\(drift.output)")
    }

    @Test("state migrate moves a state to etcd and back, holding both locks, reads it back, and refuses a destination that holds one")
    func migrate() async throws {
        // The state starts on local files: firm runs without FIRM_STATE here.
        let bed = try TestBed(.etcd)
        defer { bed.stop() }
        let etcd = try #require(bed.etcd), firm = bed.firm
        let env = Blueprints.secretEnv
        firm.write("lab.json", Blueprints.lab())
        #expect(try firm.run(["apply", "lab.json", "--auto-approve"], environment: env).code == 0)
        let local = try StateStore.load(StatePaths(snapshot: firm.path("state/lab.state.json")), blueprint: "lab").state

        let there = try firm.run(["state", "migrate", "lab.json", "--to", etcd.url()], environment: env)
        #expect(there.code == 0, "\(there.output)")
        #expect(!firm.exists("state/lab.state.json"), "the local state is set aside")
        #expect(try await etcd.state("lab") == local, "the etcd state is the local one, lineage and serial included")
        let planThere = try firm.run(["plan", "lab.json", "--detailed-exitcode", "--state", etcd.url()], environment: env)
        #expect(planThere.code == 0, "\(planThere.output)")
        let planHere = try firm.run(["plan", "lab.json"], environment: env)
        #expect(planHere.code == 1 && planHere.stderr.contains("would make duplicates"), "with the state moved away, deploys are refused as duplicates: \(planHere.output)")

        let back = try firm.run(["state", "migrate", "lab.json", "--state", etcd.url(), "--to", "state/lab.state.json"], environment: env)
        #expect(back.code == 0, "\(back.output)")
        #expect(try etcd.keys("/firm/lab/").isEmpty && etcd.keys("/firm/_sandboxes/").isEmpty, "nothing of it is left on etcd")
        #expect(try StateStore.load(StatePaths(snapshot: firm.path("state/lab.state.json")), blueprint: "lab").state == local)
        #expect(try firm.run(["plan", "lab.json", "--detailed-exitcode"], environment: env).code == 0)

        // A destination that holds a state is refused, and both stay as they were.
        firm.write("other.json", Blueprints.lab().replacingOccurrences(of: #""name": "lab""#, with: #""name": "other""#))
        #expect(try firm.run(["apply", "other.json", "--auto-approve", "--sandbox", "lab", "--state", etcd.url()], environment: env).code == 1,
                "the lab VMs are tagged with sandbox lab, so another blueprint can't deploy there")
        try etcd.put("/firm/lab/meta", #"{"version": 1, "lineage": "x", "serial": 0, "blueprint": "other"}"#)
        let refused = try firm.run(["state", "migrate", "lab.json", "--to", etcd.url()], environment: env)
        #expect(refused.code == 1 && refused.stderr.contains("already holds a state"), "\(refused.output)")
        #expect(firm.exists("state/lab.state.json"))
    }

    @Test("the other commands on etcd: show, import --all, sandboxes with a ttl, gc, destroy from the state alone")
    func otherCommands() async throws {
        let bed = try TestBed(.etcd)
        defer { bed.stop() }
        let etcd = try #require(bed.etcd), firm = bed.firm
        let url = etcd.url()
        let env = bed.env
        func at(_ time: String) -> [String: String] { env.merging(["FIRM_TEST_NOW": time]) { $1 } }
        firm.write("lab.json", Blueprints.lab())
        #expect(try firm.run(["apply", "lab.json", "--auto-approve", "--ttl", "1h"], environment: at("2030-01-01T00:00:00Z")).code == 0)
        #expect(try firm.run(["apply", "lab.json", "--auto-approve", "--sandbox", "keep"], environment: at("2030-01-01T00:00:00Z")).code == 0)

        #expect(try firm.run(["sim", "lab.json", "set-ip", "db", "10.9.0.201"], environment: env).code == 0)
        let refresh = try firm.run(["refresh", "lab.json"], environment: env)
        #expect(refresh.code == 0, "\(refresh.output)")
        #expect(try await etcd.state("lab").apps["db"]?.address == "10.9.0.201")
        let show = try firm.run(["show", "lab.json"], environment: env)
        #expect(show.code == 0 && show.stdout.contains("State at \(url)") && show.stdout.contains("10.9.0.201"), "\(show.output)")
        #expect(!show.stdout.contains("hunter2"))

        // Forget the state of sandbox keep (its VMs stay), then adopt them again.
        try etcd.delete("/firm/keep/", prefix: true)
        let imported = try firm.run(["import", "lab.json", "--all", "--sandbox", "keep"], environment: env)
        #expect(imported.code == 0, "\(imported.output)")
        #expect(try await etcd.state("keep").apps.count == 3)
        #expect(try firm.run(["plan", "lab.json", "--sandbox", "keep", "--detailed-exitcode"], environment: env).code == 0)

        let listed = try firm.run(["sandboxes", "--json"], environment: at("2030-01-01T02:00:00Z"))
        let rows = Dictionary(uniqueKeysWithValues: (try JSONReader.parse(listed.stdout).plain.arrayValue ?? []).map { ($0["name"]?.stringValue ?? "", $0) })
        #expect(rows["lab"]?["status"] == "expired" && rows["keep"]?["status"] == "active", "\(listed.output)")
        let gc = try firm.run(["gc"], environment: at("2030-01-01T02:00:00Z"))
        #expect(gc.code == 0 && gc.stdout.contains("destroyed lab"), "\(gc.output)")
        #expect(try await worldVMs(firm).map(\.sandbox).allSatisfy { $0 == "keep" })

        firm.write("lab.json", "{ this blueprint is gone")
        let destroy = try firm.run(["destroy", "--sandbox", "keep", "--auto-approve"], environment: env)
        #expect(destroy.code == 0, "destroy from the state alone: \(destroy.output)")
        #expect(try await worldVMs(firm).isEmpty)
    }
}
