/// A JSON value with ordered object keys, for writing deterministic output and for data that
/// needs no source positions (state, plans, driver payloads).
public enum JSON: Sendable, Equatable {
    case null
    case bool(Bool)
    /// The number's literal text, kept exact.
    case number(String)
    case string(String)
    case array([JSON])
    case object(JSONObject)

    /// A number from an integer.
    public static func int(_ value: Int) -> JSON { .number(String(value)) }

    /// The string, when this is a string.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The integer, when this is a number with an integral value.
    public var intValue: Int? {
        if case .number(let n) = self { return Int(n) }
        return nil
    }

    /// The boolean, when this is one.
    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// The object, when this is one.
    public var objectValue: JSONObject? {
        if case .object(let o) = self { return o }
        return nil
    }

    /// The array, when this is one.
    public var arrayValue: [JSON]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// The member `key` of an object, or nil.
    public subscript(key: String) -> JSON? {
        objectValue?[key]
    }
}

/// A JSON object that remembers the order its keys were added in.
///
/// Members are kept in an array; small objects (most of them) are searched linearly, which
/// hashes nothing. An object that grows past `indexedFrom` members also keeps an index by key.
public struct JSONObject: Sendable, Equatable {
    public private(set) var members: [(key: String, value: JSON)] = []
    private var index: [String: Int]?
    static let indexedFrom = 12

    public init() {}

    /// An object with the members in the order given; a repeated key keeps its first place.
    public init(_ members: [(String, JSON)]) {
        self.members.reserveCapacity(members.count)
        for (key, value) in members { self[key] = value }
    }

    public var isEmpty: Bool { members.isEmpty }
    public var count: Int { members.count }
    public var keys: [String] { members.map(\.key) }

    private func position(of key: String) -> Int? {
        if let index { return index[key] }
        return members.firstIndex { $0.key == key }
    }

    public subscript(key: String) -> JSON? {
        get { position(of: key).map { members[$0].value } }
        set {
            if let newValue {
                if let i = position(of: key) {
                    members[i].value = newValue
                } else {
                    members.append((key, newValue))
                    if index != nil {
                        index![key] = members.count - 1
                    } else if members.count >= Self.indexedFrom {
                        buildIndex()
                    }
                }
            } else if let i = position(of: key) {
                members.remove(at: i)
                index = nil
                if members.count >= Self.indexedFrom { buildIndex() }
            }
        }
    }

    private mutating func buildIndex() {
        var map: [String: Int] = [:]
        map.reserveCapacity(members.count)
        for (i, m) in members.enumerated() { map[m.key] = i }
        index = map
    }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        lhs.members.count == rhs.members.count && zip(lhs.members, rhs.members).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }
}

extension JSON: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSON)...) { self = .object(JSONObject(elements)) }
    public init(nilLiteral: ()) { self = .null }
}

extension JSON {
    /// A string map as a JSON object, keys sorted so that output is deterministic.
    public static func sortedObject(_ map: [String: String]) -> JSON {
        .object(JSONObject(map.keys.sorted().map { ($0, .string(map[$0]!)) }))
    }

    /// An object with sorted keys from a map of JSON values.
    public static func sortedObject(_ map: [String: JSON]) -> JSON {
        .object(JSONObject(map.keys.sorted().map { ($0, map[$0]!) }))
    }

    /// A string map read from a JSON object whose values are all strings.
    public var stringMap: [String: String]? {
        guard let object = objectValue else { return nil }
        var map: [String: String] = [:]
        for (key, value) in object.members {
            guard let s = value.stringValue else { return nil }
            map[key] = s
        }
        return map
    }
}
