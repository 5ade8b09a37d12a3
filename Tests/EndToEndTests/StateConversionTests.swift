import Foundation
import Testing
import FirmTestSupport

/// `firm state encrypt` and `firm state decrypt`, by their round trip on each backend: a state
/// applied in clear is encrypted (no app name, address or secret left in clear in any file or
/// value), reads and applies with the key and is listed as encrypted without it; a second
/// encrypt writes nothing; decrypt with no key or another key is refused with nothing written;
/// encrypt with a new key and the old as fallback completes a rotation (the new key alone then
/// reads it all); decrypt leaves a state that plans, applies and destroys with no key.
@Suite("End to end: firm state encrypt and decrypt", .serialized)
struct StateConversionTests {
    @Test("encrypt, use, rotate and decrypt a sandbox's state", arguments: StateBackendUnderTest.all)
    func roundTrip(_ backend: StateBackendUnderTest) async throws {
        let bed = try TestBed(backend)
        defer { bed.stop() }
        let firm = bed.firm
        firm.write("lab.json", Blueprints.lab())
        let key = EncryptedPlanTests.key(), other = EncryptedPlanTests.key()
        let keyed = ["FIRM_STATE_KEY": key]
        let applied = try bed.run(["apply", "lab.json", "--auto-approve"])
        #expect(applied.code == 0, "\(applied.output)")
        #expect(try stored(bed).contains { $0.value.contains("postgres-15") }, "the state starts in clear")

        // Nothing to do, or nothing to do it with: exit 0 or a clear refusal, nothing written.
        let clear = try bed.stored(lock: false)
        let already = try bed.run(["state", "decrypt", "lab.json"])
        #expect(already.code == 0 && already.stdout.contains("already in clear"), "\(already.output)")
        let keyless = try bed.run(["state", "encrypt", "lab.json"])
        #expect(keyless.code == 1 && keyless.stderr.contains("needs a key to write with"), "\(keyless.output)")
        #expect(try bed.stored(lock: false) == clear, "nothing written")

        // Encrypt: every value sealed, nothing of the state left in clear.
        let encrypted = try bed.run(["state", "encrypt", "lab.json"], environment: keyed)
        #expect(encrypted.code == 0 && encrypted.stdout.contains("Encrypted the state") && encrypted.stdout.contains("3 apps"), "\(encrypted.output)")
        let sealed = try stored(bed)
        #expect(sealed.count >= (backend.isEtcd ? 4 : 2), "\(sealed.map(\.key))")
        for (name, value) in sealed {
            for word in ["\"web\"", "\"api\"", "\"db\"", "postgres-15", "hunter2-very-secret", "deploymentType", "10.9.0.", key] {
                #expect(!value.contains(word), "\(name) holds \(word) in clear")
            }
        }
        let again = try bed.stored(lock: false)
        let twice = try bed.run(["state", "encrypt", "lab.json"], environment: keyed)
        #expect(twice.code == 0 && twice.stdout.contains("already encrypted"), "\(twice.output)")
        #expect(try bed.stored(lock: false) == again, "a second encrypt writes nothing")

        // Used with the key; refused and listed as encrypted without it.
        #expect(try bed.run(["plan", "lab.json", "--detailed-exitcode"], environment: keyed).code == 0, "the key reads the same state")
        let missing = try bed.run(["plan", "lab.json"])
        #expect(missing.code == 1 && missing.stderr.contains("is encrypted; set FIRM_STATE_KEY"), "\(missing.output)")
        let listed = try bed.run(["sandboxes"])
        #expect(listed.code == 0 && listed.stdout.contains("encrypted") && !listed.stdout.contains("web"), "\(listed.output)")
        firm.write("lab.json", Blueprints.lab(webPower: "off"))
        let changed = try bed.run(["apply", "lab.json", "--auto-approve"], environment: keyed)
        #expect(changed.code == 0, "\(changed.output)")

        // Decrypt without the key, or with another: refused, nothing written.
        let before = try bed.stored(lock: false)
        let noKey = try bed.run(["state", "decrypt", "lab.json"])
        #expect(noKey.code == 1 && noKey.stderr.contains("is encrypted; set FIRM_STATE_KEY"), "\(noKey.output)")
        let wrong = try bed.run(["state", "decrypt", "lab.json"], environment: ["FIRM_STATE_KEY": other])
        #expect(wrong.code == 1 && wrong.stderr.contains("was encrypted with another key"), "\(wrong.output)")
        #expect(try bed.stored(lock: false) == before, "nothing written by a refused decrypt")

        // Rotation completed by encrypt: the new key with the old as fallback reseals every
        // value, and the new key alone then reads the state.
        let rotated = try bed.run(["state", "encrypt", "lab.json"], environment: ["FIRM_STATE_KEY": other, "FIRM_STATE_KEY_FALLBACK": key])
        #expect(rotated.code == 0 && rotated.stdout.contains("Encrypted the state") && rotated.stdout.contains("sealed with another key"), "\(rotated.output)")
        let ids = Set(try stored(bed).flatMap { $0.value.matches(of: /"keyId":"([0-9a-f]+)"/).map { String($0.output.1) } })
        #expect(ids.count == 1, "every value under one key id after the rotation: \(ids)")
        let newOnly = try bed.run(["plan", "lab.json", "--detailed-exitcode"], environment: ["FIRM_STATE_KEY": other])
        #expect(newOnly.code == 0, "the new key alone reads every value: \(newOnly.output)")
        let oldOnly = try bed.run(["plan", "lab.json"], environment: keyed)
        #expect(oldOnly.code == 1 && oldOnly.stderr.contains("was encrypted with another key"), "the old key no longer reads it: \(oldOnly.output)")

        // Decrypt: in clear again, used with no key at all.
        let decrypted = try bed.run(["state", "decrypt", "lab.json"], environment: ["FIRM_STATE_KEY": other])
        #expect(decrypted.code == 0 && decrypted.stdout.contains("Decrypted the state") && decrypted.stdout.contains("with no key"), "\(decrypted.output)")
        #expect(try stored(bed).allSatisfy { !$0.value.contains("firmEncrypted") }, "no value is sealed after decrypt")
        #expect(try bed.run(["plan", "lab.json", "--detailed-exitcode"]).code == 0, "no key needed: nothing to do")
        firm.write("lab.json", Blueprints.lab())
        let plain = try bed.run(["apply", "lab.json", "--auto-approve"])
        #expect(plain.code == 0, "\(plain.output)")
        #expect(try stored(bed).allSatisfy { !$0.value.contains("firmEncrypted") }, "an apply with no key writes in clear")
        let destroy = try bed.run(["destroy", "lab.json", "--auto-approve"])
        #expect(destroy.code == 0, "\(destroy.output)")
    }

    @Test("encrypt with a passphrase: a second encrypt finds every item sealed with it (each item's own salt) and writes nothing; decrypt needs it")
    func passphrase() throws {
        let bed = try TestBed(.local)
        defer { bed.stop() }
        bed.firm.write("lab.json", Blueprints.lab())
        #expect(try bed.run(["apply", "lab.json", "--auto-approve"]).code == 0)
        let phrase = ["FIRM_STATE_PASSPHRASE": "correct horse battery staple"]
        let encrypted = try bed.run(["state", "encrypt", "lab.json"], environment: phrase)
        #expect(encrypted.code == 0 && encrypted.stdout.contains("Encrypted the state"), "\(encrypted.output)")
        let sealed = try bed.stored(lock: false)
        #expect(sealed["state/lab.state.json"]?.contains("\"pbkdf2\"") == true && sealed["state/lab.state.json"]?.contains("postgres-15") == false)
        let again = try bed.run(["state", "encrypt", "lab.json"], environment: phrase)
        #expect(again.code == 0 && again.stdout.contains("already encrypted"), "\(again.output)")
        #expect(try bed.stored(lock: false) == sealed, "nothing written")
        let wrong = try bed.run(["state", "decrypt", "lab.json"], environment: ["FIRM_STATE_PASSPHRASE": "another long passphrase"])
        #expect(wrong.code == 1 && wrong.stderr.contains("was encrypted with another key"), "\(wrong.output)")
        let decrypted = try bed.run(["state", "decrypt", "lab.json"], environment: phrase)
        #expect(decrypted.code == 0 && decrypted.stdout.contains("Decrypted the state"), "\(decrypted.output)")
        #expect(try bed.run(["plan", "lab.json", "--detailed-exitcode"]).code == 0)
    }

    /// What holds the state's contents: on local disk each file under `state/` but the lock
    /// (snapshot, backup, journal), on etcd each value of the sandbox but the meta key and
    /// the lock.
    func stored(_ bed: TestBed) throws -> [(key: String, value: String)] {
        if let etcd = bed.etcd {
            return try etcd.keys("/firm/lab/").filter { !$0.key.hasSuffix("/meta") && !$0.key.hasSuffix("/lock") }.map { ($0.key, $0.value) }
        }
        return try bed.stored(lock: false).filter { !$0.key.hasSuffix(".journal") || $0.value.split(separator: "\n").count > 1 }
            .map { ($0.key, $0.value) }.sorted { $0.key < $1.key }
    }
}
