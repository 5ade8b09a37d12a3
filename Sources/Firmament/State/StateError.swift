/// Why the state could not be read, locked or written.
public enum StateError: Error, Equatable, CustomStringConvertible {
    /// The file exists but is not a valid state; it is never overwritten.
    case corrupt(file: String, reason: String)
    /// Another process holds the lock.
    case locked(file: String, holder: LockInfo?)
    /// Reading or writing failed.
    case io(file: String, reason: String)
    /// The state belongs to another blueprint.
    case wrongBlueprint(file: String, expected: String, found: String)

    public var description: String {
        switch self {
        case .corrupt(let file, let reason):
            "\(file): the state is corrupt and was left untouched: \(reason)\n(the last good state is kept in \(file).backup; restore it, or move the file away)"
        case .locked(let file, let holder):
            if let h = holder {
                "\(file): the state is locked by \(h.who) (pid \(h.pid)) since \(h.created) for '\(h.operation)' (lock id \(h.id))"
            } else {
                "\(file): the state is locked by another firm process"
            }
        case .io(let file, let reason): "\(file): \(reason)"
        case .wrongBlueprint(let file, let expected, let found):
            "\(file): this state belongs to blueprint \(quoted(found)), not \(quoted(expected)); use --state to pick another file"
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

    init?(_ json: JSON) {
        guard let id = json["id"]?.stringValue, let operation = json["operation"]?.stringValue,
            let who = json["who"]?.stringValue, let pid = json["pid"]?.intValue, let created = json["created"]?.stringValue
        else { return nil }
        self.init(id: id, operation: operation, who: who, pid: Int32(pid), created: created, version: json["version"]?.stringValue ?? "")
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
