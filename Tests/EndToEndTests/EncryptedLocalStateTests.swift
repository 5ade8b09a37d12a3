import Foundation
import Testing
import FirmTestSupport

/// The local state sealed with the state key: the snapshot and each journal record are
/// encrypted (no app name, address or secret in the files), kill -9 mid-apply is recovered
/// with no orphan, a missing key, a wrong key, a flipped byte and swapped records each get
/// their own error with the files unchanged, and rotation goes through the fallback key.
@Suite("End to end: encrypted local state", .serialized)
struct EncryptedLocalStateTests {
    @Test("an encrypted apply killed mid-way, recovered; refusals; rotation; destroy")
    func encryptedLocalState() throws {
        let bed = try TestBed(.local)
        defer { bed.stop() }
        let firm = bed.firm
        firm.write("lab.json", Blueprints.lab(latency: #"{"deploy": "400ms"}"#))
        let key = EncryptedPlanTests.key(), other = EncryptedPlanTests.key()
        let keyed = ["FIRM_STATE_KEY": key]
        let (process, _, _) = try bed.start(["apply", "lab.json", "--auto-approve", "--parallelism", "1"], environment: keyed)
        let journal = "state/lab.state.json.journal"
        #expect(waitUntil(.seconds(30)) { (firm.read(journal) ?? "").split(separator: "\n").count >= 3 }, "records reached the journal")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let lines = (firm.read(journal) ?? "").split(separator: "\n").dropFirst()
        #expect(!lines.isEmpty && lines.allSatisfy { $0.dropFirst(9).hasPrefix("{\"firmEncrypted\":1,") }, "each record is sealed: \(lines)")
        for line in lines {
            for word in ["\"web\"", "\"api\"", "\"db\"", "postgres-15", "hunter2", "10.9.0.", key] { #expect(!line.contains(word), "\(word) in clear in \(line)") }
        }

        let killed = try bed.stored(lock: false)
        let missing = try bed.run(["plan", "lab.json"])
        #expect(missing.code == 1 && missing.stderr.contains("is encrypted; set FIRM_STATE_KEY"), "\(missing.output)")
        let wrong = try bed.run(["apply", "lab.json", "--auto-approve"], environment: ["FIRM_STATE_KEY": other])
        #expect(wrong.code == 1 && wrong.stderr.contains("was encrypted with another key"), "\(wrong.output)")
        // Two records swapped.
        if lines.count >= 2 {
            var swapped = [Substring](lines)
            swapped.swapAt(0, 1)
            let header = (firm.read(journal) ?? "").split(separator: "\n").first ?? ""
            firm.write(journal, ([header] + swapped).joined(separator: "\n") + "\n")
            let refused = try bed.run(["plan", "lab.json"], environment: keyed)
            #expect(refused.code == 1 && refused.stderr.contains("journal line"), "\(refused.output)")
            firm.write(journal, killed[journal] ?? "")
        }
        #expect(try bed.stored(lock: false) == killed, "nothing written by a refused run")

        // Recovery with the key: no orphan, then a full apply.
        let recovered = try bed.run(["apply", "lab.json", "--auto-approve"], environment: keyed)
        #expect(recovered.code == 0, "\(recovered.output)")
        #expect(try bed.run(["drift", "lab.json"], environment: keyed).code == 0, "no drift, no unmanaged VM after the kill")
        let snapshot = try #require(firm.read("state/lab.state.json"))
        #expect(snapshot.hasPrefix("{\"firmEncrypted\":1,") && !snapshot.contains("postgres-15") && !snapshot.contains("hunter2"))

        // A flipped byte in the snapshot.
        let start = try #require(snapshot.range(of: "\"data\":\""))
        var flipped = snapshot
        let at = flipped.index(start.upperBound, offsetBy: 10)
        flipped.replaceSubrange(at...at, with: flipped[at] == "A" ? "B" : "A")
        firm.write("state/lab.state.json", flipped)
        let tampered = try bed.run(["plan", "lab.json"], environment: keyed)
        #expect(tampered.code == 1 && tampered.stderr.contains("lab.state.json") && tampered.stderr.contains("the encrypted content was changed"), "\(tampered.output)")
        firm.write("state/lab.state.json", snapshot)

        // Rotation, then destroy.
        firm.write("lab.json", Blueprints.lab(webPower: "off"))
        let rotating = ["FIRM_STATE_KEY": other, "FIRM_STATE_KEY_FALLBACK": key]
        #expect(try bed.run(["apply", "lab.json", "--auto-approve"], environment: rotating).code == 0)
        #expect(try bed.run(["plan", "lab.json", "--detailed-exitcode"], environment: ["FIRM_STATE_KEY": other]).code == 0, "the new key alone reads the state")
        let destroy = try bed.run(["destroy", "lab.json", "--auto-approve"], environment: ["FIRM_STATE_KEY": other])
        #expect(destroy.code == 0, "\(destroy.output)")
    }
}
