import Foundation
import Testing
@testable import FirmBase
import FirmTestSupport

/// The state's values on etcd sealed with the state key: an encrypted apply, plan, drift and
/// destroy; no app name, address or secret in any value; a missing key, a wrong key, a flipped
/// byte and a value moved to another key each get their own error and nothing is written;
/// `firm sandboxes` lists the sandbox as encrypted without a key; rotation through the fallback.
@Suite("End to end: encrypted state on etcd", .serialized, .enabled(if: EtcdCluster.required))
struct EncryptedEtcdStateTests {
    @Test("apply, plan, drift and destroy with a key; refusals without it, with another, or changed; rotation", arguments: [StateBackendUnderTest.etcd, .etcds])
    func encryptedState(_ backend: StateBackendUnderTest) async throws {
        let bed = try TestBed(backend)
        defer { bed.stop() }
        let etcd = try #require(bed.etcd), firm = bed.firm
        firm.write("lab.json", Blueprints.lab())
        let key = EncryptedPlanTests.key(), other = EncryptedPlanTests.key()
        let keyed = ["FIRM_STATE_KEY": key]
        let apply = try bed.run(["apply", "lab.json", "--auto-approve"], environment: keyed)
        #expect(apply.code == 0, "\(apply.output)")
        let values = try etcd.keys("/firm/lab/")
        let sealed = values.filter { $0.key.contains("/app/") || $0.key.hasSuffix("/sandbox") }
        #expect(sealed.count >= 3 && sealed.allSatisfy { $0.value.hasPrefix("{\"firmEncrypted\":1,") }, "\(values.map(\.key))")
        for kv in values {
            for word in ["\"web\"", "\"api\"", "\"db\"", "postgres-15", "hunter2", "10.9.0.", "\"svc\"", key] {
                #expect(!kv.value.contains(word), "\(kv.key)'s value holds \(word) in clear")
            }
        }
        #expect(try bed.run(["plan", "lab.json", "--detailed-exitcode"], environment: keyed).code == 0, "a plan with the key sees nothing to do")
        #expect(try bed.run(["drift", "lab.json"], environment: keyed).code == 0)

        // Refusals, each its own message; nothing written.
        let before = try bed.stored()
        let missing = try bed.run(["apply", "lab.json", "--auto-approve"])
        #expect(missing.code == 1 && missing.stderr.contains("is encrypted; set FIRM_STATE_KEY"), "\(missing.output)")
        let wrong = try bed.run(["apply", "lab.json", "--auto-approve"], environment: ["FIRM_STATE_KEY": other])
        #expect(wrong.code == 1 && wrong.stderr.contains("was encrypted with another key"), "\(wrong.output)")
        #expect(try bed.stored() == before, "nothing written without the key")
        let listed = try bed.run(["sandboxes"])
        #expect(listed.code == 0 && listed.stdout.contains("encrypted") && !listed.stdout.contains("web"), "\(listed.output)")

        let web = try #require(values.first { $0.key == "/firm/lab/app/web" }), api = try #require(values.first { $0.key == "/firm/lab/app/api" })
        guard case .object(var envelope) = try JSONReader.parse(web.value).plain else { Issue.record("not an object"); return }
        var data = [UInt8](Data(base64Encoded: envelope["data"]?.stringValue ?? "") ?? Data())
        data[data.count / 2] ^= 0x04
        envelope["data"] = .string(Data(data).base64EncodedString())
        try etcd.put(web.key, JSONWriter(pretty: false).string(.object(envelope)))
        let flipped = try bed.run(["plan", "lab.json"], environment: keyed)
        #expect(flipped.code == 1 && flipped.stderr.contains("/firm/lab/app/web") && flipped.stderr.contains("the encrypted content was changed"), "\(flipped.output)")
        try etcd.put(web.key, api.value)
        let moved = try bed.run(["plan", "lab.json"], environment: keyed)
        #expect(moved.code == 1 && moved.stderr.contains("/firm/lab/app/web") && moved.stderr.contains("moved from elsewhere"), "\(moved.output)")
        try etcd.put(web.key, web.value)
        #expect(try bed.run(["plan", "lab.json", "--detailed-exitcode"], environment: keyed).code == 0, "the value put back reads again")

        // Rotation: the new key with the old as fallback reads everything; what it writes is
        // sealed with the new key.
        firm.write("lab.json", Blueprints.lab(webPower: "off"))
        let rotating = ["FIRM_STATE_KEY": other, "FIRM_STATE_KEY_FALLBACK": key]
        let rotated = try bed.run(["apply", "lab.json", "--auto-approve"], environment: rotating)
        #expect(rotated.code == 0, "\(rotated.output)")
        let rewritten = try #require(try etcd.keys("/firm/lab/app/web").first)
        func keyId(_ value: String) -> String? { (try? JSONReader.parse(value).plain)?["keyId"]?.stringValue }
        #expect(keyId(rewritten.value) != nil && keyId(rewritten.value) != keyId(web.value), "the rewritten value has the new key's id")
        let destroy = try bed.run(["destroy", "lab.json", "--auto-approve"], environment: rotating)
        #expect(destroy.code == 0, "\(destroy.output)")
        #expect(try await etcd.state("lab", environment: rotating).apps.isEmpty)
    }
}
