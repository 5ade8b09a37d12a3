import Foundation
import Synchronization
import FirmBase
import FirmOpenSSL

/// The keys firm encrypts with, from the environment, as OpenTofu's state encryption takes them:
/// - `FIRM_STATE_KEY`: 32 random bytes, base64 (`openssl rand -base64 32`);
/// - `FIRM_STATE_PASSPHRASE`: a passphrase, stretched with PBKDF2-HMAC-SHA256 (`iterations`,
///   about 0.1 s on a current core) and a random salt that is stored beside what it encrypts;
/// - `FIRM_STATE_KEY_COMMAND`: a shell command that prints the base64 key (a KMS, a vault),
///   run once per process;
/// - `FIRM_STATE_KEY_FALLBACK`: the previous key (base64), for reading only while rotating.
///
/// At most one of the first three. A key is known by its id, the first 8 bytes of
/// HMAC-SHA256(key, "firm state key id") in hex, which an envelope carries in clear: it tells a
/// wrong key from a changed byte, and gives nothing of the key away.
public final class StateKeys: Sendable {
    /// Every variable a key comes from: what no child of firm's but the key command needs.
    public static let variables: Set<String> = ["FIRM_STATE_KEY", "FIRM_STATE_PASSPHRASE", "FIRM_STATE_KEY_COMMAND", "FIRM_STATE_KEY_FALLBACK"]
    /// PBKDF2's rounds for a passphrase (OWASP's figure for SHA-256): about 0.1 s here.
    public static let iterations = 600_000
    /// The most rounds an envelope may ask for: more would be a way to stall firm.
    static let maxIterations = 10_000_000

    enum Source: Sendable {
        case key([UInt8], variable: String)
        case passphrase([UInt8])
    }

    let primary: Source?
    let fallback: Source?
    /// Keys derived from the passphrase, by salt; and the salt this process writes with.
    private let derived = Mutex<(bySalt: [[UInt8]: [UInt8]], writeSalt: [UInt8]?)>(([:], nil))
    /// Key ids computed so far, by key: an HMAC per record would cost more than its encryption.
    private let ids = Mutex<[[UInt8]: String]>([:])

    /// `key`'s id (see `id(of:)`), computed once per key and process.
    func cachedID(of key: [UInt8]) -> String {
        if let known = ids.withLock({ $0[key] }) { return known }
        let id = Self.id(of: key)
        ids.withLock { $0[key] = id }
        return id
    }

    /// Whether a key is set to write with.
    public var canWrite: Bool { primary != nil }

    /// The keys `environment` sets; nil when none is. A setting that can't be used throws.
    public static func from(_ environment: Environment) throws(EncryptionError) -> StateKeys? {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        let set = ["FIRM_STATE_KEY", "FIRM_STATE_PASSPHRASE", "FIRM_STATE_KEY_COMMAND"].filter { value($0) != nil }
        if set.count > 1 { throw .badKey(variable: set.joined(separator: " and "), reason: "set one of them, not \(set.count)") }
        var primary: Source?
        if let text = value("FIRM_STATE_KEY") {
            primary = .key(try decodeKey(text, variable: "FIRM_STATE_KEY"), variable: "FIRM_STATE_KEY")
        } else if let text = value("FIRM_STATE_PASSPHRASE") {
            guard text.utf8.count >= 12 else { throw .badKey(variable: "FIRM_STATE_PASSPHRASE", reason: "a passphrase of at least 12 characters is needed") }
            primary = .passphrase(Array(text.utf8))
        } else if let command = value("FIRM_STATE_KEY_COMMAND") {
            primary = .key(try decodeKey(try run(command), variable: "FIRM_STATE_KEY_COMMAND's output"), variable: "FIRM_STATE_KEY_COMMAND")
        }
        let fallback = try value("FIRM_STATE_KEY_FALLBACK").map { text throws(EncryptionError) in
            Source.key(try decodeKey(text, variable: "FIRM_STATE_KEY_FALLBACK"), variable: "FIRM_STATE_KEY_FALLBACK")
        }
        if primary == nil && fallback == nil { return nil }
        return StateKeys(primary: primary, fallback: fallback)
    }

    init(primary: Source?, fallback: Source?) {
        self.primary = primary
        self.fallback = fallback
    }

    /// 32 bytes from base64 text (surrounding white space allowed); the error never shows it.
    static func decodeKey(_ text: String, variable: String) throws(EncryptionError) -> [UInt8] {
        guard let data = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw .badKey(variable: variable, reason: "not base64 (make a key with: openssl rand -base64 32)")
        }
        guard data.count == AESGCM.keySize else {
            throw .badKey(variable: variable, reason: "\(data.count) bytes once decoded, not \(AESGCM.keySize) (make a key with: openssl rand -base64 32)")
        }
        return [UInt8](data)
    }

    /// The standard output of `/bin/sh -c command`; its exit status must be 0. Started with
    /// `ChildSpawn` (Foundation's `Process.run()` can crash on Linux); its stderr is firm's.
    static func run(_ command: String) throws(EncryptionError) -> String {
        let limit = 4096
        let started: (child: SpawnedChild, output: Int32)
        do {
            let out = try ChildSpawn.pipe()
            let input: Int32
            do { input = try ChildSpawn.nullInput() } catch {
                close(out.read); close(out.write)
                throw error
            }
            defer { close(input); close(out.write) }
            do {
                started = (try ChildSpawn.spawn("/bin/sh", ["-c", command], environment: ProcessInfo.processInfo.environment,
                                                 stdin: input, stdout: out.write, stderr: 2), out.read)
            } catch {
                close(out.read)
                throw error
            }
        } catch {
            throw .badKey(variable: "FIRM_STATE_KEY_COMMAND", reason: "cannot run /bin/sh: \(error)")
        }
        let data = ChildSpawn.drain(started.output, limit: limit)
        close(started.output)
        let status = started.child.wait()
        guard status == 0 else {
            throw .badKey(variable: "FIRM_STATE_KEY_COMMAND", reason: "the command exited \(status)")
        }
        guard data.count <= limit else { throw .badKey(variable: "FIRM_STATE_KEY_COMMAND", reason: "the command printed more than \(limit) bytes, not a base64 key") }
        return String(decoding: data, as: UTF8.self)
    }

    /// A key's id: the first 8 bytes of HMAC-SHA256(key, "firm state key id"), in hex.
    public static func id(of key: [UInt8]) -> String {
        Hex.lower(HMACSHA256.mac(key: key, "firm state key id").prefix(8))
    }

    /// The key to write with, and the PBKDF2 salt to store when it comes from a passphrase.
    func writeKey() throws(EncryptionError) -> (key: [UInt8], salt: [UInt8]?) {
        switch primary {
        case nil: throw .badKey(variable: "FIRM_STATE_KEY", reason: "no key is set to write with (FIRM_STATE_KEY_FALLBACK only reads)")
        case .key(let key, _)?: return (key, nil)
        case .passphrase(let passphrase)?:
            let salt: [UInt8]
            if let known = derived.withLock({ $0.writeSalt }) {
                salt = known
            } else {
                do { salt = try KeyDerivation.randomBytes(16) } catch { throw .openSSL("\(error)") }
                derived.withLock { $0.writeSalt = salt }
            }
            return (try derive(passphrase, salt: salt, iterations: Self.iterations), salt)
        }
    }

    /// Whether the key with `id` is the one this process writes with (for a passphrase, the
    /// key derived with the envelope's `salt` and `iterations`).
    func isWriteKey(id: String, salt: [UInt8]?, iterations: Int?) throws(EncryptionError) -> Bool {
        switch primary {
        case nil: return false
        case .key(let key, _)?: return cachedID(of: key) == id
        case .passphrase(let passphrase)?:
            guard let salt, let iterations else { return false }
            return cachedID(of: try derive(passphrase, salt: salt, iterations: iterations)) == id
        }
    }

    /// The keys to read with, primary first: for a passphrase, derived with `salt` and
    /// `iterations` as the envelope gives them (none without a salt).
    func readKeys(salt: [UInt8]?, iterations: Int?) throws(EncryptionError) -> [[UInt8]] {
        var keys: [[UInt8]] = []
        for source in [primary, fallback].compactMap({ $0 }) {
            switch source {
            case .key(let key, _): keys.append(key)
            case .passphrase(let passphrase):
                if let salt, let iterations { keys.append(try derive(passphrase, salt: salt, iterations: iterations)) }
            }
        }
        return keys
    }

    /// PBKDF2-HMAC-SHA256 of the passphrase, once per salt and process.
    private func derive(_ passphrase: [UInt8], salt: [UInt8], iterations: Int) throws(EncryptionError) -> [UInt8] {
        if let known = derived.withLock({ $0.bySalt[salt] }) { return known }
        let key: [UInt8]
        do { key = try KeyDerivation.pbkdf2(password: passphrase, salt: salt, iterations: iterations, length: AESGCM.keySize) } catch { throw .openSSL("\(error)") }
        derived.withLock { $0.bySalt[salt] = key }
        return key
    }
}
