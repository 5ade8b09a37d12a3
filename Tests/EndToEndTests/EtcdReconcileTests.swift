import Foundation
import Synchronization
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

/// Reconcile replicas sharing the sandboxes of one etcd prefix.
@Suite("End to end: reconcile replicas on etcd", .serialized, .enabled(if: EtcdCluster.required))
struct EtcdReconcileTests {
    struct Line {
        var time: String
        var replica: String
        var sandbox: String
        var text: String
    }

    /// The per-sandbox lines of reconcile logs.
    static func lines(_ log: String) -> [Line] {
        log.split(separator: "\n").compactMap { raw in
            let parts = raw.split(separator: " ", maxSplits: 4).map(String.init)
            guard parts.count == 5, parts[1] == "replica", parts[3] == "sandbox" else { return nil }
            let sandbox = String(parts[4].prefix { $0 != " " && $0 != ":" })
            return Line(time: parts[0], replica: String(parts[2].dropLast()), sandbox: sandbox, text: parts[4])
        }
    }

    /// The lock keys' whole history from etcd's watch (from revision 1): per sandbox, each
    /// event as (put or delete, holder pid).
    static func lockHistory(_ etcd: EtcdCluster) async throws -> [String: [(put: Bool, pid: Int32?)]] {
        let client = HTTP1Client(host: "127.0.0.1", port: etcd.members[0].clientPort)
        let body: JSON = ["create_request": ["key": .string(Base64.encode(Array("/firm/".utf8))), "range_end": .string(Base64.encode(Array("/firm0".utf8))),
                                             "start_revision": "1"]]
        let bytes = Mutex<[UInt8]>([])
        try await client.stream("/v3/watch", body: JSONWriter(pretty: false).bytes(body), until: ContinuousClock.now + .seconds(2)) { data in
            bytes.withLock { $0.append(contentsOf: data) }
            return true
        }
        var history: [String: [(put: Bool, pid: Int32?)]] = [:]
        for line in bytes.withLock({ $0 }).split(separator: UInt8(ascii: "\n")) {
            guard let node = try? JSONReader.parse(Array(line)).plain else { continue }
            for event in node["result"]?["events"]?.arrayValue ?? [] {
                guard let key = event["kv"]?["key"]?.stringValue.flatMap(Base64.text), key.hasSuffix("/lock") else { continue }
                let put = event["type"]?.stringValue != "DELETE"
                let value = event["kv"]?["value"]?.stringValue.flatMap(Base64.bytes) ?? []
                history[key, default: []].append((put, put ? EtcdLock.decodeHolder(value)?.pid : nil))
            }
        }
        return history
    }

    @Test("three replicas on 12 sandboxes: each sandbox every cycle, a killed replica's taken over within 2 TTLs, never two at once")
    func replicas() async throws {
        let bed = try TestBed(.etcd)
        defer { bed.stop() }
        let etcd = try #require(bed.etcd), firm = bed.firm, env = bed.env
        firm.write("lab.json", Blueprints.lab())
        let sandboxes = (1...12).map { "s\($0)" }
        for name in sandboxes {
            let r = try firm.run(["apply", "lab.json", "--auto-approve", "--sandbox", name], environment: env)
            try #require(r.code == 0, "\(r.output)")
        }
        let ttl = 3
        var replicas: [(Process, ReadBox, ReadBox)] = []
        for i in 0..<3 {
            let (p, out, err) = try firm.start(["reconcile", "lab.json", "--every", "1s", "--lock-ttl", "\(ttl)s", "--replica", "r\(i)"], environment: env)
            replicas.append((p, ReadBox(out.fileHandleForReading), ReadBox(err.fileHandleForReading)))
        }
        func claims() -> [String: String] {
            let list = (try? etcd.keys("/firm/_claims/")) ?? []
            return Dictionary(uniqueKeysWithValues: list.map { (String($0.key.dropFirst("/firm/_claims/".count)), $0.value) })
        }
        // Balanced: every sandbox claimed, each replica near its share.
        #expect(waitUntil(.seconds(30)) {
            let c = claims()
            return c.count == 12 && (0..<3).allSatisfy { i in c.values.filter { $0 == "r\(i)" }.count == 4 }
        }, "the replicas balance to 4 sandboxes each: \(claims())")
        // A VM stopped out of band in one sandbox is started again by whichever replica holds it.
        let stopped = try firm.run(["sim", "lab.json", "--sandbox", "s5", "stop", "web"], environment: env)
        #expect(stopped.code == 0, "\(stopped.output)")
        #expect(waitUntil(.seconds(30)) {
            Torture.worldVMs(firm).values.contains { $0["sandbox"] == "s5" && $0["app"] == "web" && $0["status"] == "running" }
        }, "the replica that holds s5 started its web again")
        let heldByFirst = claims().filter { $0.value == "r0" }.keys.sorted()
        let killedAt = ContinuousClock.now
        kill(replicas[0].0.processIdentifier, SIGKILL)
        replicas[0].0.waitUntilExit()
        let takenOver = waitUntil(.seconds(30)) {
            let c = claims()
            return c.count == 12 && !c.values.contains("r0")
        }
        let takeover = ContinuousClock.now - killedAt
        print("takeover of a killed replica's sandboxes: \(DurationText.format(takeover)) (lock TTL \(ttl)s)")
        #expect(takenOver && takeover <= .seconds(2 * ttl + 2), "the others took over within 2 TTLs (with 2 s for a loaded machine): \(DurationText.format(takeover))")
        let killedTime = Timestamp.precise()
        // What the logs are checked for below, waited for: each sandbox reconciled in at least
        // four cycles, and the killed replica's by another since it was killed.
        func logged() -> [Line] { Self.lines(replicas.map { $0.1.soFar + $0.2.soFar }.joined(separator: "\n")) }
        #expect(waitUntil(.seconds(60)) {
            let lines = logged()
            return sandboxes.allSatisfy { name in lines.filter { $0.sandbox == name }.count >= 4 }
                && heldByFirst.allSatisfy { name in lines.contains { $0.sandbox == name && $0.replica != "r0" && $0.time >= killedTime } }
        }, "every sandbox was reconciled in four cycles, the killed replica's by another since")
        for (p, _, _) in replicas.dropFirst() { kill(p.processIdentifier, SIGTERM) }
        var logs = ""
        for (i, (p, out, err)) in replicas.enumerated() {
            #expect(p.waitUntilExit(limit: .seconds(30)))
            if i > 0 { #expect(p.terminationStatus == 0, "replica r\(i) exits cleanly on SIGTERM") }
            logs += out.text() + err.text()
        }
        let lines = Self.lines(logs)
        #expect(!lines.isEmpty, "\(logs)")
        #expect(lines.allSatisfy { ["r0", "r1", "r2"].contains($0.replica) }, "each line names its replica")
        #expect(!lines.contains { $0.text.contains("error") }, "\(logs)")
        for name in sandboxes {
            let mine = lines.filter { $0.sandbox == name }
            #expect(mine.count >= 4, "sandbox \(name) was reconciled in each cycle: \(mine.count) lines")
        }
        #expect(lines.contains { $0.sandbox == "s5" && $0.text.contains("applied") }, "the stopped VM was started again: \(logs)")
        for name in heldByFirst {
            #expect(lines.contains { $0.sandbox == name && $0.replica != "r0" && $0.time >= killedTime }, "\(name) of the killed replica was reconciled by another after the takeover")
        }
        // The lock history: for each sandbox, a put (a holder) is always followed by a delete
        // before the next put; so no two holders overlap. A quiet cycle takes no lock, so only
        // the sandboxes that were applied (each once, by apply; s5 again, by a replica) have one.
        let history = try await Self.lockHistory(etcd)
        #expect(Set(history.keys) == Set(sandboxes.map { "/firm/\($0)/lock" }))
        var holders: Set<Int32> = []
        for (key, events) in history {
            for (i, event) in events.enumerated() {
                #expect(event.put == (i % 2 == 0), "\(key): event \(i) breaks put/delete alternation: \(events.map(\.put))")
                if let pid = event.pid { holders.insert(pid) }
            }
        }
        let pids = Set(replicas.map { $0.0.processIdentifier })
        let s5 = history["/firm/s5/lock"] ?? []
        #expect(s5.contains { $0.pid.map(pids.contains) ?? false }, "a replica applied s5 under its lock: \(s5.map(\.pid))")
        #expect(!holders.isEmpty)
    }
}
