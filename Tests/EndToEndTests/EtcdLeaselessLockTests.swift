import Foundation
import Testing
@testable import FirmBase
@testable import FirmModel
import FirmTestSupport

/// A lock key that no lease holds never ends by itself: force-unlock must be able to remove it.
@Suite("End to end: a lock key on etcd with no lease", .serialized, .enabled(if: EtcdCluster.required))
struct EtcdLeaselessLockTests {
    @Test("force-unlock shows the holder of a lock key with no lease and removes it; a wrong id is refused; the next apply runs")
    func leaselessLock() throws {
        let bed = try TestBed(.etcd)
        defer { bed.stop() }
        let etcd = try #require(bed.etcd), firm = bed.firm, env = bed.env
        firm.write("lab.json", Blueprints.lab())
        #expect(try firm.run(["apply", "lab.json", "--auto-approve"], environment: env).code == 0)
        let holder = LockInfo(id: "by-hand-1", operation: "apply", who: "ops@bastion", pid: 4242, created: "2030-01-01T00:00:00Z", version: "0.1.0")
        try etcd.put("/firm/lab/lock", holder.json.compactText)

        let blocked = try firm.run(["apply", "lab.json", "--auto-approve"], environment: env)
        #expect(blocked.code == 3 && blocked.stderr.contains("ops@bastion"), "\(blocked.output)")
        let wrong = try firm.run(["force-unlock", "lab.json", "someone-else"], environment: env)
        #expect(wrong.code == 1 && wrong.stderr.contains("the lock id is by-hand-1"), "\(wrong.output)")
        #expect(try etcd.keys("/firm/lab/lock").count == 1, "a wrong id removes nothing")

        let forced = try firm.run(["force-unlock", "lab.json", "by-hand-1"], environment: env)
        #expect(forced.code == 0, "\(forced.output)")
        #expect(forced.stdout.contains("by-hand-1") && forced.stdout.contains("ops@bastion") && forced.stdout.contains("had no lease"), "\(forced.stdout)")
        #expect(try etcd.keys("/firm/lab/lock").isEmpty)
        #expect(try firm.run(["apply", "lab.json", "--auto-approve"], environment: env).code == 0)
    }
}
