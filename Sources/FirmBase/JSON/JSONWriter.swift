/// Writes `JSON` values as UTF-8 with keys in their stored order, so that the same value always
/// gives the same bytes.
public struct JSONWriter: Sendable {
    /// Whether to indent with two spaces and put each member on its own line.
    public var pretty: Bool

    public init(pretty: Bool = true) {
        self.pretty = pretty
    }

    /// The encoded bytes, with a final newline when pretty.
    public func bytes(_ value: JSON) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(value, into: &out, indent: 0)
        if pretty { out.append(0x0A) }
        return out
    }

    /// The encoded text.
    public func string(_ value: JSON) -> String {
        String(decoding: bytes(value), as: UTF8.self)
    }

    /// Appends the encoding of `value` to `out`.
    public func write(_ value: JSON, into out: inout [UInt8], indent: Int) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .number(let n): out.append(contentsOf: n.utf8)
        case .string(let s): Self.writeString(s, into: &out)
        case .array(let items):
            writeArray(items, into: &out, indent: indent) { item, out in write(item, into: &out, indent: indent + 1) }
        case .object(let object):
            writeObject(object.members, into: &out, indent: indent, key: \.key) { member, out in write(member.value, into: &out, indent: indent + 1) }
        }
    }

    /// Appends an object as `write` does, at the level `indent`, with a member for each of
    /// `members` in their order: `key` names it, and `value` writes its value at the level
    /// `indent + 1`, after its key.
    package func writeObject<Members: Collection>(_ members: Members, into out: inout [UInt8], indent: Int, key: (Members.Element) -> String,
                                          value: (Members.Element, inout [UInt8]) -> Void) {
        if members.isEmpty {
            out.append(contentsOf: "{}".utf8)
            return
        }
        out.append(UInt8(ascii: "{"))
        var first = true
        for member in members {
            writeKey(key(member), first: first, into: &out, indent: indent + 1)
            first = false
            value(member, &out)
        }
        newline(&out, indent)
        out.append(UInt8(ascii: "}"))
    }

    /// Appends an object of strings with its keys sorted, as `write` does for `.sortedObject(map)`.
    package func writeSorted(_ map: [String: String], into out: inout [UInt8], indent: Int) {
        writeObject(map.sorted { $0.key < $1.key }, into: &out, indent: indent, key: \.key) { member, out in Self.writeString(member.value, into: &out) }
    }

    /// Appends an object member's key as `write` does: a comma unless it is the first, the line
    /// break and indent of `indent` (the member's level), the key and the colon. Types that write
    /// themselves without first becoming a `JSON` value use it, with `writeArray` and `newline`.
    /// What `writeKey` appends for `key`, made once by a writer that writes many objects with
    /// the same keys.
    package func keyBytes(_ key: String, first: Bool, indent: Int) -> [UInt8] {
        var out: [UInt8] = []
        writeKey(key, first: first, into: &out, indent: indent)
        return out
    }

    package func writeKey(_ key: String, first: Bool, into out: inout [UInt8], indent: Int) {
        if !first { out.append(UInt8(ascii: ",")) }
        newline(&out, indent)
        Self.writeString(key, into: &out)
        out.append(UInt8(ascii: ":"))
        if pretty { out.append(0x20) }
    }

    /// Appends an array as `write` does, at the level `indent`: `item` writes each element, at
    /// the level `indent + 1`, after its comma and line break.
    package func writeArray<Items: Collection>(_ items: Items, into out: inout [UInt8], indent: Int, item: (Items.Element, inout [UInt8]) -> Void) {
        if items.isEmpty {
            out.append(contentsOf: "[]".utf8)
            return
        }
        out.append(UInt8(ascii: "["))
        for (i, element) in items.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            newline(&out, indent + 1)
            item(element, &out)
        }
        newline(&out, indent)
        out.append(UInt8(ascii: "]"))
    }

    /// Appends an array of strings as `write` does, at the level `indent`.
    package func writeStrings(_ items: [String], into out: inout [UInt8], indent: Int) {
        writeArray(items, into: &out, indent: indent) { item, out in Self.writeString(item, into: &out) }
    }

    /// When pretty, a line break and the indent of level `indent`.
    package func newline(_ out: inout [UInt8], _ indent: Int) {
        guard pretty else { return }
        out.append(0x0A)
        var n = indent * 2
        while n > 0 {
            let k = min(n, Self.spaces.count)
            out.append(contentsOf: Self.spaces[..<k])
            n -= k
        }
    }

    private static let spaces = [UInt8](repeating: 0x20, count: 64)

    /// Appends `s` as a JSON string literal, escaping quotes, backslashes and control characters.
    public static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Native strings, small or not, lend their bytes without a copy.
        ByteText.withUTF8(s) { writeEscaped($0, into: &out) }
        out.append(UInt8(ascii: "\""))
    }

    /// Appends `bytes` escaped, without quotes: runs of bytes that need no escape are copied whole.
    private static func writeEscaped(_ bytes: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        var start = 0
        for (i, byte) in bytes.enumerated() where byte < 0x20 || byte == 0x22 || byte == 0x5C || byte == 0x7F {
            if start < i { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<i])) }
            escape(byte, into: &out)
            start = i + 1
        }
        if start < bytes.count { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...])) }
    }

    private static func escape(_ byte: UInt8, into out: inout [UInt8]) {
        switch byte {
        case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
        case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
        case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
        case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
        case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
        default:
            out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30])
            Hex.append(byte, to: &out)
        }
    }
}

extension JSON {
    /// The value as compact one-line JSON text.
    public var compactText: String { JSONWriter(pretty: false).string(self) }
    /// The value as indented JSON text with a final newline.
    public var prettyText: String { JSONWriter(pretty: true).string(self) }
}
