import FirmBase

/// How a state's items are written at rest: sealed with the state key, or in clear.
public enum AtRest: String, Sendable {
    case encrypted, clear
}

/// What a look at a state's stored items found, decrypting nothing: how many are sealed with
/// the key set to write with, how many with another key (the fallback's, before a rotation is
/// complete), and how many are in clear.
public struct StoredForm: Sendable, Equatable, CustomStringConvertible {
    public var current: Int
    public var other: Int
    public var clear: Int

    public init(current: Int = 0, other: Int = 0, clear: Int = 0) {
        self.current = current
        self.other = other
        self.clear = clear
    }

    /// Counts one item: in clear, or sealed with the write key (asked only of a sealed one) or another.
    public mutating func add(sealed: Bool, withWriteKey: @autoclosure () -> Bool) {
        if !sealed { clear += 1 } else if withWriteKey() { current += 1 } else { other += 1 }
    }

    /// Whether every item is in `form` (with the write key, for `.encrypted`).
    public func isAll(_ form: AtRest) -> Bool {
        switch form {
        case .encrypted: other == 0 && clear == 0
        case .clear: current == 0 && other == 0
        }
    }

    public var description: String {
        [(current, "sealed with the key set"), (other, "sealed with another key"), (clear, "in clear")]
            .filter { $0.0 > 0 }.map { "\($0.0) \($0.1)" }.joined(separator: ", ")
    }
}

/// Rewriting every item of a state sealed or in clear (`firm state encrypt` and
/// `firm state decrypt`); a backend that can't refuses with a `StateError` saying so.
public protocol StateConverting: Sendable {
    /// Whether a key is set to write with (FIRM_STATE_KEY and its kin).
    var canSeal: Bool { get }
    /// Each item as it is stored now (opening nothing). Call with the lock held.
    func storedForm() async throws -> StoredForm
    /// Writes every item of `loaded` again, sealed with the write key or in clear, under the
    /// lock `lease`; the state itself (lineage, serial, contents) is unchanged. What the user
    /// should know afterwards, if anything (such as old copies the store still keeps).
    func rewriteAll(_ loaded: LoadedState, as form: AtRest, under lease: any StateLease) async throws -> String?
    /// This state read with no key: a decrypted state must read back without one.
    func withoutKeys() -> any StateBackend
}

/// Converts a sandbox's state to `form` under its lock: reads it (with the keys set, so a
/// missing or wrong key fails before anything is written), writes every item again, and
/// checks by reading it back (with no key, for `.clear`) that it is the same state and that
/// every item is now in `form`.
public enum StateConversion {
    public enum Outcome: Sendable {
        /// Every item was already in the form asked for; nothing was written.
        case already(StoredForm)
        /// Converted: the state's size, what was stored before, and what the backend adds.
        case converted(apps: Int, serial: Int, before: StoredForm, note: String?)
    }

    public static func convert(_ backend: any StateBackend, to form: AtRest, blueprint: String?, lockTimeout: Duration?) async throws -> Outcome {
        if form == .encrypted && !backend.canSeal {
            throw StateError.unavailable(location: backend.location, reason: "firm state encrypt needs a key to write with: set FIRM_STATE_KEY (or FIRM_STATE_PASSPHRASE, or FIRM_STATE_KEY_COMMAND); nothing was written")
        }
        let lease = try await backend.lock(operation: "state \(form == .encrypted ? "encrypt" : "decrypt")", timeout: lockTimeout)
        defer { lease.release() }
        let loaded = try await backend.load(blueprint: blueprint, writer: true)
        guard loaded.existed else {
            throw StateError.io(location: backend.location, reason: "there is no state here to convert")
        }
        let before = try await backend.storedForm()
        if before.isAll(form) { return .already(before) }
        let note = try await backend.rewriteAll(loaded, as: form, under: lease)
        let reader = form == .clear ? backend.withoutKeys() : backend
        let readBack = try await reader.load(blueprint: loaded.state.blueprint, writer: true).state
        guard readBack == loaded.state else {
            throw StateError.io(location: backend.location, reason: "the state read back differs from the state read before; run the command again (every item still reads with the key)")
        }
        let after = try await backend.storedForm()
        guard after.isAll(form) else {
            throw StateError.io(location: backend.location, reason: "after the rewrite, items are still \(after.description); run the command again")
        }
        return .converted(apps: loaded.state.apps.count, serial: loaded.state.serial, before: before, note: note)
    }
}
