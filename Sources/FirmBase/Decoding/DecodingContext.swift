/// Collects every problem found while decoding one file, so that all are reported together.
public struct DecodingContext: Sendable {
    public let file: String
    public private(set) var diagnostics: [Diagnostic] = []
    /// The document the paths start from, when known: a problem reported with no position (by
    /// a check that sees decoded values, not nodes) is placed at the node its path names, or
    /// at the nearest node above it that exists.
    public var root: JSONNode?
    /// Entries that were declared but could not be decoded, as "KIND NAME" (`provider aws`):
    /// their own problems are reported, and a reference to one is not reported again as
    /// unknown, which would bury the first cause under what follows from it.
    public var broken: Set<String> = []

    public init(file: String, root: JSONNode? = nil) {
        self.file = file
        self.root = root
    }

    /// Records a problem at `position`; with none, at the node the path names in `root`.
    public mutating func report(_ path: JSONPath, _ message: String, at position: SourcePosition?) {
        let located = position ?? root.flatMap { path.nearest(in: $0)?.position }
        diagnostics.append(Diagnostic(file: file, position: located, path: path.description, message: message))
    }

    /// Records the problems another context found, after those found so far.
    public mutating func include(_ other: DecodingContext) {
        diagnostics += other.diagnostics
    }

    /// The members of an object, keyed by name, after checking for a non-object, duplicate keys,
    /// unknown keys (with a hint) and missing required keys. Nil when `node` is not an object.
    public mutating func members(
        of node: JSONNode, at path: @autoclosure () -> JSONPath, allowed: [String], required: [String] = []
    ) -> JSONFields? {
        guard let entries = entries(of: node, at: path(), what: "an object") else { return nil }
        var result = JSONFields(members: entries.members)
        let isAllowed = { (member: JSONNode.Member) in allowed.contains { $0.isKey(member.key) } }
        // A misspelt required key is reported once, as the misspelling, not again as missing.
        var suggested: Set<String> = []
        // Nearly always every key is allowed and the members are used as they are.
        if !entries.members.allSatisfy(isAllowed) {
            result.members = entries.members.filter(isAllowed)
            for member in entries.members where !isAllowed(member) {
                var message = "unknown key"
                if let hint = Spelling.closest(to: member.key, among: allowed) {
                    message += " (did you mean \(hint)?)"
                    suggested.insert(hint)
                } else { message += "; expected one of: " + allowed.joined(separator: ", ") }
                report(path().key(member.key), message, at: member.keyPosition)
            }
        }
        for key in required where result[key] == nil && !suggested.contains(key) {
            report(path(), "missing required key \(quoted(key))", at: node.position)
        }
        return result
    }

    /// The members of an object in file order, after reporting duplicate keys (each duplicate is
    /// dropped). Nil, with a problem reported, when `node` is not an object.
    public mutating func entries(of node: JSONNode, at path: @autoclosure () -> JSONPath, what: String) -> ObjectEntries? {
        guard case .object(let members) = node.kind else {
            report(path(), "expected \(what), found \(node.typeName)", at: node.position)
            return nil
        }
        // Most objects are small: a scan finds a duplicate faster than hashing every key.
        var firstDuplicate: Int?
        if members.count <= 16 {
            search: for i in members.indices.dropFirst() {
                // `==`, as the dictionaries the members go into compare keys.
                for j in 0..<i where members[j].key == members[i].key {
                    firstDuplicate = i
                    break search
                }
            }
        } else {
            var seen = Set<String>(minimumCapacity: members.count)
            for (i, member) in members.enumerated() where !seen.insert(member.key).inserted {
                firstDuplicate = i
                break
            }
        }
        // Without duplicates, which is nearly always, the members are used without a copy.
        guard let firstDuplicate else { return ObjectEntries(members: members) }
        var kept = Array(members[..<firstDuplicate])
        var seen: [String: SourcePosition] = [:]
        for member in kept { seen[member.key] = member.keyPosition }
        for member in members[firstDuplicate...] {
            if let first = seen[member.key] {
                report(path().key(member.key), "duplicate key (first defined at \(first))", at: member.keyPosition)
                continue
            }
            seen[member.key] = member.keyPosition
            kept.append(member)
        }
        return ObjectEntries(members: kept)
    }

    /// A string value, or nil with a problem reported.
    public mutating func string(_ node: JSONNode, at path: @autoclosure () -> JSONPath) -> String? {
        if case .string(let s) = node.kind { return s }
        report(path(), "expected a string, found \(node.typeName)", at: node.position)
        return nil
    }

    /// A boolean value, or nil with a problem reported.
    public mutating func bool(_ node: JSONNode, at path: @autoclosure () -> JSONPath) -> Bool? {
        if case .bool(let b) = node.kind { return b }
        report(path(), "expected true or false, found \(node.typeName)", at: node.position)
        return nil
    }

    /// An integer value, or nil with a problem reported.
    public mutating func int(_ node: JSONNode, at path: @autoclosure () -> JSONPath) -> Int? {
        if case .number(let text) = node.kind, let value = Int(text) { return value }
        report(path(), "expected a whole number, found \(node.typeName)", at: node.position)
        return nil
    }

    /// One of a fixed set of strings, or nil with a problem reported.
    public mutating func choice(_ node: JSONNode, at path: @autoclosure () -> JSONPath, _ choices: [String]) -> String? {
        guard let value = string(node, at: path()) else { return nil }
        if choices.contains(value) { return value }
        var message = "expected " + choices.map { quoted($0) }.joined(separator: " or ") + ", found \(quoted(value))"
        if let hint = Spelling.closest(to: value, among: choices) { message += " (did you mean \(hint)?)" }
        report(path(), message, at: node.position)
        return nil
    }

    /// A name that can safely become part of a file name, or nil with a problem reported.
    public mutating func name(_ value: String, at path: @autoclosure () -> JSONPath, position: SourcePosition?, what: String) -> String? {
        if Name.isValid(value) { return value }
        report(path(), "\(quoted(value)) is not a valid \(what) name; expected \(Name.rule)", at: position)
        return nil
    }

    /// Notes every key of `node` (an object) that `decoded` lacks as a broken `kind`.
    public mutating func noteBroken(_ kind: String, declared node: JSONNode?, decoded: (String) -> Bool) {
        guard let node, case .object(let members) = node.kind else { return }
        for member in members where !decoded(member.key) { broken.insert("\(kind) \(member.key)") }
    }
}

/// The members of a checked object by key: its keys are unique and allowed, and there are few
/// of them, so a scan finds one without hashing.
public struct JSONFields: Sendable {
    var members: [JSONNode.Member]

    public subscript(key: String) -> JSONNode? {
        members.first { $0.key.isKey(key) }?.value
    }
}

/// An object's members with unique keys, in file order, each as `(key, keyPosition, value)`.
public struct ObjectEntries: RandomAccessCollection, ExpressibleByArrayLiteral, Sendable {
    let members: [JSONNode.Member]

    init(members: [JSONNode.Member]) { self.members = members }

    /// `[]` stands for no entries, as for a value that was not an object.
    public init(arrayLiteral members: JSONNode.Member...) { self.members = members }

    public var startIndex: Int { 0 }
    public var endIndex: Int { members.count }

    public subscript(index: Int) -> (String, SourcePosition, JSONNode) {
        let member = members[index]
        return (member.key, member.keyPosition, member.value)
    }
}

/// The rule for the names of blueprints, apps, networks and providers.
public enum Name {
    /// The rule in words, for messages.
    public static let rule = "a letter, then up to 62 letters, digits, '_', '.' or '-'"

    /// Whether `value` matches `[A-Za-z][A-Za-z0-9_.-]{0,62}`.
    public static func isValid(_ value: String) -> Bool {
        let bytes = value.utf8
        guard let first = bytes.first, bytes.count <= 63, isLetter(first) else { return false }
        return bytes.dropFirst().allSatisfy { byte in
            isLetter(byte) || (byte >= 0x30 && byte <= 0x39) || byte == UInt8(ascii: "_")
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
        }
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
    }
}

extension DecodingContext {
    /// An integer within `range`, or nil with a problem reported.
    public mutating func int(_ node: JSONNode, at path: @autoclosure () -> JSONPath, in range: ClosedRange<Int>) -> Int? {
        guard let value = int(node, at: path()) else { return nil }
        if range.contains(value) { return value }
        report(path(), "\(value) is out of range; expected \(range.lowerBound)...\(range.upperBound)", at: node.position)
        return nil
    }

    /// The items of an array, or nil with a problem reported.
    public mutating func array(_ node: JSONNode, at path: @autoclosure () -> JSONPath) -> [JSONNode]? {
        if case .array(let items) = node.kind { return items }
        report(path(), "expected an array, found \(node.typeName)", at: node.position)
        return nil
    }

    /// An array of strings, or nil with every non-string reported.
    public mutating func strings(_ node: JSONNode, at path: @autoclosure () -> JSONPath) -> [String]? {
        guard let items = array(node, at: path()) else { return nil }
        var result: [String] = []
        for (i, item) in items.enumerated() {
            guard let s = string(item, at: path().index(i)) else { return nil }
            result.append(s)
        }
        return result
    }

    /// A number that `accepts`, or nil with `expected` reported.
    public mutating func number(_ node: JSONNode, at path: @autoclosure () -> JSONPath, accepts: (Double) -> Bool, expected: String) -> Double? {
        if case .number(let text) = node.kind, let value = Double(text), accepts(value) { return value }
        report(path(), "expected \(expected)", at: node.position)
        return nil
    }

    /// A string value that follows the name rule, or nil with a problem reported.
    public mutating func name(_ node: JSONNode, at path: @autoclosure () -> JSONPath, what: String) -> String? {
        guard let text = string(node, at: path()) else { return nil }
        return name(text, at: path(), position: node.position, what: what)
    }

    /// An IPv4 CIDR such as `10.0.1.0/24`, or nil with a problem reported.
    public mutating func cidr(_ node: JSONNode, at path: @autoclosure () -> JSONPath) -> String? {
        guard let text = string(node, at: path()) else { return nil }
        if CIDR(text) != nil { return text }
        report(path(), "\(quoted(text)) is not an IPv4 CIDR such as 10.0.1.0/24", at: node.position)
        return nil
    }
}

extension String {
    /// Whether a key read from a file is the known key `other`: the same bytes. Lengths are
    /// compared first, since most pairs differ in length and `==` would compare contents. Unlike
    /// `==`, a key is never taken for a known key it is only canonically equivalent to, such as
    /// "\u{212A}ind" (with a Kelvin sign) for "Kind": it is reported as unknown instead.
    @inline(__always) func isKey(_ other: String) -> Bool {
        utf8.count == other.utf8.count && self == other
    }
}
