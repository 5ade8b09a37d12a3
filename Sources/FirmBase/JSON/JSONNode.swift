/// A line and column in a source file, both counted from 1. Columns count Unicode scalars.
public struct SourcePosition: Sendable, Equatable, Hashable, CustomStringConvertible {
    // Kept in 32 bits each: a file is at most a few hundred megabytes, and a parsed tree holds
    // two positions per member.
    private var storedLine: Int32
    private var storedColumn: Int32

    public var line: Int {
        get { Int(storedLine) }
        set { storedLine = Int32(clamping: newValue) }
    }

    public var column: Int {
        get { Int(storedColumn) }
        set { storedColumn = Int32(clamping: newValue) }
    }

    public init(line: Int, column: Int) {
        storedLine = Int32(clamping: line)
        storedColumn = Int32(clamping: column)
    }

    public var description: String { "\(line):\(column)" }
}

/// A parsed JSON value that remembers where it stood in its file, and keeps every member of an
/// object, duplicates included, so that validation can see them.
public struct JSONNode: Sendable {
    public var position: SourcePosition
    public var kind: Kind

    public init(position: SourcePosition, kind: Kind) {
        self.position = position
        self.kind = kind
    }

    public enum Kind: Sendable {
        case null
        case bool(Bool)
        case number(String)
        case string(String)
        case array([JSONNode])
        case object([Member])
    }

    /// One `"key": value` pair of an object.
    public struct Member: Sendable {
        public var key: String
        public var keyPosition: SourcePosition
        public var value: JSONNode

        public init(key: String, keyPosition: SourcePosition, value: JSONNode) {
            self.key = key
            self.keyPosition = keyPosition
            self.value = value
        }
    }

    /// What kind of value this is, in words for error messages.
    public var typeName: String {
        switch kind {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// The value without positions. A repeated key keeps its last value, as most readers do.
    /// The value of member `key` of an object (the first, if repeated), without converting
    /// the rest of the tree: a cheap look at one field of a large document.
    public func member(_ key: String) -> JSONNode? {
        guard case .object(let members) = kind else { return nil }
        return members.first { $0.key.isKey(key) }?.value
    }

    /// Member `key` of an object (the first, if repeated), as `member(_:)`.
    public subscript(key: String) -> JSONNode? { member(key) }

    /// The string, when this is one.
    public var stringValue: String? {
        if case .string(let s) = kind { return s }
        return nil
    }

    /// The boolean, when this is one.
    public var boolValue: Bool? {
        if case .bool(let b) = kind { return b }
        return nil
    }

    /// The members in file order, when this is an object.
    public var members: [Member]? {
        if case .object(let m) = kind { return m }
        return nil
    }

    /// The items, when this is an array.
    public var items: [JSONNode]? {
        if case .array(let a) = kind { return a }
        return nil
    }

    public var plain: JSON {
        switch kind {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .number(let n): return .number(n)
        case .string(let s): return .string(s)
        case .array(let items): return .array(items.map(\.plain))
        case .object(let members):
            var object = JSONObject()
            for member in members { object[member.key] = member.value.plain }
            return .object(object)
        }
    }
}

extension JSONNode {
    /// A node tree for a plain value, with every position at 1:1.
    public init(plain: JSON) {
        let origin = SourcePosition(line: 1, column: 1)
        switch plain {
        case .null: self.init(position: origin, kind: .null)
        case .bool(let b): self.init(position: origin, kind: .bool(b))
        case .number(let n): self.init(position: origin, kind: .number(n))
        case .string(let s): self.init(position: origin, kind: .string(s))
        case .array(let items): self.init(position: origin, kind: .array(items.map(JSONNode.init(plain:))))
        case .object(let object):
            self.init(position: origin, kind: .object(object.members.map {
                Member(key: $0.key, keyPosition: origin, value: JSONNode(plain: $0.value))
            }))
        }
    }
}
