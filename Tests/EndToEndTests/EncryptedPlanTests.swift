import Foundation
import Testing
import FirmTestSupport

/// Saved plans encrypted with the state key: what `firm plan --out` writes holds no app name,
/// address or secret in clear, `firm apply FILE` carries it out with the key, and a missing
/// key, a wrong key and a changed byte each stop it with their own message, the state
/// untouched; rotation reads the old plan through FIRM_STATE_KEY_FALLBACK.
@Suite("End to end: encrypted plans", .serialized)
struct EncryptedPlanTests {
    static func key() -> String { Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString() }

    @Test("an encrypted plan applies with its key; without it, with another, or changed, it is refused and nothing is written", arguments: StateBackendUnderTest.all)
    func encryptedPlan(_ backend: StateBackendUnderTest) throws {
        let bed = try TestBed(backend)
        defer { bed.stop() }
        let firm = bed.firm
        firm.write("lab.json", Blueprints.lab())
        let key = Self.key(), other = Self.key()
        let made = try bed.run(["plan", "lab.json", "--out", "lab.plan"], environment: ["FIRM_STATE_KEY": key])
        #expect(made.code == 0, "\(made.output)")
        let saved = try #require(firm.read("lab.plan"))
        // The clear header names the sandbox and no app; the whole file holds no long word of
        // the plan (short ones can occur by chance in base64).
        let header = String(saved[..<(saved.range(of: "\"nonce\"")?.lowerBound ?? saved.endIndex)])
        for word in ["web", "api", "db"] { #expect(!header.contains("\"\(word)"), "\(word) is not in the clear header: \(header)") }
        for word in ["postgres-15", "hunter2-very-secret", "deploymentType", "10.9.0.", key] {
            #expect(!saved.contains(word), "\(word) is not in clear in the plan file")
        }
        #expect(saved.hasPrefix("{\"firmEncrypted\":1,"))

        let before = try bed.stored()
        let refusals: [([String: String], String)] = [
            ([:], "lab.plan is encrypted; set FIRM_STATE_KEY"),
            (["FIRM_STATE_KEY": other], "lab.plan was encrypted with another key"),
        ]
        for (environment, expected) in refusals {
            let refused = try bed.run(["apply", "lab.plan"], environment: environment)
            #expect(refused.code == 1 && refused.stderr.contains(expected), "\(refused.output)")
        }
        var changed = saved
        let dataStart = try #require(changed.range(of: "\"data\":\""))
        let index = changed.index(dataStart.upperBound, offsetBy: 5)
        changed.replaceSubrange(index...index, with: changed[index] == "A" ? "B" : "A")
        firm.write("changed.plan", changed)
        let tampered = try bed.run(["apply", "changed.plan"], environment: ["FIRM_STATE_KEY": key])
        #expect(tampered.code == 1 && tampered.stderr.contains("the encrypted content was changed"), "\(tampered.output)")
        #expect(try bed.stored() == before, "nothing was written by a refused plan")
        #expect(!firm.exists(".firm/sim/sim.world"), "nothing was deployed")

        // Rotation: the new key with the old one as fallback reads the plan.
        let applied = try bed.run(["apply", "lab.plan"], environment: ["FIRM_STATE_KEY": other, "FIRM_STATE_KEY_FALLBACK": key])
        #expect(applied.code == 0, "\(applied.output)")
        let after = try bed.run(["plan", "lab.json", "--detailed-exitcode"], environment: ["FIRM_STATE_KEY": other, "FIRM_STATE_KEY_FALLBACK": key])
        #expect(after.code == 0, "the plan was carried out: \(after.output)")
    }
}
