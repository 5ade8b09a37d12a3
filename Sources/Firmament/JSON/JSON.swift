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
public struct JSONObject: Sendable, Equatable {
    public private(set) var keys: [String] = []
    private var storage: [String: JSON] = [:]

    public init() {}

    /// An object with the members in the order given; a repeated key keeps its first place.
    public init(_ members: [(String, JSON)]) {
        for (key, value) in members { self[key] = value }
    }

    public var isEmpty: Bool { keys.isEmpty }
    public var count: Int { keys.count }

    /// The members in order.
    public var members: [(key: String, value: JSON)] {
        keys.map { ($0, storage[$0]!) }
    }

    public subscript(key: String) -> JSON? {
        get { storage[key] }
        set {
            if let newValue {
                if storage.updateValue(newValue, forKey: key) == nil { keys.append(key) }
            } else if storage.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        lhs.keys == rhs.keys && lhs.storage == rhs.storage
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
