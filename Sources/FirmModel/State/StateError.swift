import FirmBase

/// Why the state could not be read, locked or written.
public enum StateError: Error, Equatable, CustomStringConvertible {
    /// The file exists but is not a valid state; it is never overwritten.
    case corrupt(location: String, reason: String)
    /// Another process holds the lock.
    case locked(location: String, holder: LockInfo?)
    /// Reading or writing failed.
    case io(location: String, reason: String)
    /// The state was written by a newer firm, in a format this one does not read.
    case newer(location: String, version: Int)
    /// The state changed under a writer that held no valid lock (a lost lease, say).
    case conflict(location: String, reason: String)
    /// The backend can't be reached or used.
    case unavailable(location: String, reason: String)
    /// The state is encrypted and no key set is the one it was written with (`reason` says
    /// which variable to set). Never read as an empty state.
    case encrypted(location: String, reason: String)
    /// The state belongs to another blueprint.
    case wrongBlueprint(location: String, expected: String, found: String)
    /// Recording `count` more changes would take the serial past `State.maxSerial`, the largest
    /// a state may hold; nothing was recorded.
    case serialExhausted(serial: Int, count: Int)

    public var description: String {
        switch self {
        case .corrupt(let file, let reason):
            "\(file): the state is damaged and was left untouched: \(reason)"
        case .newer(let file, let version):
            "\(file): a newer firm wrote this state (format \(version); this firm \(FirmamentVersion.current) reads format \(State.formatVersion)); it was left untouched: use that firm, or a newer one"
        case .locked(let file, let holder):
            if let h = holder {
                "\(file): the state is locked by \(h.who) (pid \(h.pid)) since \(h.created) for '\(h.operation)' (lock id \(h.id))"
            } else {
                "\(file): the state is locked by another firm process, which has not written who it is (it may have just taken the lock)"
            }
        case .io(let file, let reason): "\(file): \(reason)"
        case .conflict(let location, let reason): "\(location): the state changed under this run: \(reason); nothing more was written"
        case .unavailable(let location, let reason): "\(location): the state backend is unavailable: \(reason)"
        case .encrypted(let location, let reason): reason.contains(location) ? reason : "\(location): \(reason)"
        case .wrongBlueprint(let file, let expected, let found):
            "\(file): this state belongs to blueprint \(quoted(found)), not \(quoted(expected)); use --state to pick another file"
        case .serialExhausted(let serial, let count):
            "the state's serial is \(serial), and recording \(count) more change\(count == 1 ? "" : "s") would pass 2^52, the largest a state may hold; "
                + "nothing was recorded (a serial this large means the state was edited by hand)"
        }
    }
}

/// Who holds a state lock: `{id, operation, who, pid, created, version}`.
public struct LockInfo: Sendable, Equatable {
    public var id: String
    public var operation: String
    /// user@host
    public var who: String
    public var pid: Int32
    public var created: String
    public var version: String

    public var json: JSON {
        ["id": .string(id), "operation": .string(operation), "who": .string(who), "pid": .int(Int(pid)),
         "created": .string(created), "version": .string(version)]
    }

    /// Decodes a lock file, with every field checked; a pid must be a positive Int32.
    package static func decode(_ node: JSONNode, _ c: inout DecodingContext) -> LockInfo? {
        let root = JSONPath()
        let keys = ["id", "operation", "who", "pid", "created"]
        guard let f = c.members(of: node, at: root, allowed: keys + ["version"], required: keys) else { return nil }
        func string(_ key: String) -> String? { f[key].flatMap { c.string($0, at: root.key(key)) } }
        guard let id = string("id"), let operation = string("operation"), let who = string("who"), let created = string("created"),
            let pid = f["pid"].flatMap({ c.int($0, at: root.key("pid"), in: 1...Int(Int32.max)) }),
            let pid32 = Int32(exactly: pid)
        else { return nil }
        let version = f["version"].flatMap { c.string($0, at: root.key("version")) } ?? ""
        return LockInfo(id: id, operation: operation, who: who, pid: pid32, created: created, version: version)
    }

    public init(id: String, operation: String, who: String, pid: Int32, created: String, version: String) {
        self.id = id
        self.operation = operation
        self.who = who
        self.pid = pid
        self.created = created
        self.version = version
    }
}
