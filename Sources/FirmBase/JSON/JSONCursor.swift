import Foundation

/// Reads one JSON document front to back, for decoders that check each value as they read it
/// instead of building a tree first (BlueprintFastPath, StateFastPath).
///
/// It reads exactly the syntax `JSONReader` reads, with the same scanner, so positions and the
/// depth limit are the same; `value()` hands any value over as a `JSONNode` tree. A decoder that
/// meets anything it does not handle itself, a syntax error included, throws `Miss`, and its
/// caller decodes the document the general way, which finds and reports every problem.
package struct JSONCursor {
    /// The document is not one the fast decoder handles; nothing is wrong with saying so.
    package struct Miss: Error {
        package init() {}
    }

    private var scanner: JSONScanner

    private init(_ bytes: UnsafeBufferPointer<UInt8>) {
        scanner = JSONScanner(bytes: bytes, maxDepth: JSONReader.defaultMaxDepth)
    }

    /// Runs `body` over the document in `bytes`, which must read the whole of one value; nil
    /// when the bytes are not valid UTF-8, when `body` throws, or when anything follows.
    static func read<T>(_ bytes: [UInt8], _ body: (inout JSONCursor) throws(Miss) -> T) -> T? {
        bytes.withUnsafeBufferPointer { buffer in read(buffer, body) }
    }

    /// `read` of bytes someone else owns, such as one line of a log.
    package static func read<T>(_ buffer: UnsafeBufferPointer<UInt8>, _ body: (inout JSONCursor) throws(Miss) -> T) -> T? {
        guard case .valid(let ascii) = UTF8Validation.scan(buffer) else { return nil }
        var cursor = JSONCursor(buffer)
        cursor.scanner.ascii = ascii
        // A UTF-8 byte order mark is tolerated, as JSONReader tolerates it.
        if buffer.count >= 3, buffer[0] == 0xEF, buffer[1] == 0xBB, buffer[2] == 0xBF {
            cursor.scanner.index = 3
            cursor.scanner.lineStart = 3
        }
        guard let result = try? body(&cursor) else { return nil }
        cursor.scanner.skipWhitespace()
        return cursor.scanner.index == buffer.count ? result : nil
    }

    /// A document whose `apps` member `decodeApps` reads from the bytes, and the rest as a tree,
    /// with `"apps"` left empty in it (BlueprintFastPath, StateFastPath). Nil when the document
    /// is not an object with one `apps`, has a repeated key, or `decodeApps` misses.
    package static func readApps<Apps>(_ bytes: [UInt8], _ decodeApps: (inout JSONCursor) throws(Miss) -> Apps) -> (root: JSONNode, apps: Apps)? {
        read(bytes) { cursor throws(Miss) -> (root: JSONNode, apps: Apps) in
            let start = cursor.position()
            // An empty document gets its own message from the general way.
            guard try cursor.beginObject() else { throw Miss() }
            var members: [JSONNode.Member] = []
            var apps: Apps?
            repeat {
                let keyPosition = cursor.position()
                let key = try cursor.key()
                if key.spells("apps") {
                    guard apps == nil else { throw Miss() }
                    let position = cursor.position()
                    apps = try decodeApps(&cursor)
                    members.append(JSONNode.Member(key: "apps", keyPosition: keyPosition, value: JSONNode(position: position, kind: .object([]))))
                } else {
                    let name = key.text
                    // A repeated key is reported by the general way.
                    guard !members.contains(where: { $0.key == name }) else { throw Miss() }
                    members.append(JSONNode.Member(key: name, keyPosition: keyPosition, value: try cursor.value()))
                }
            } while try cursor.next()
            guard let apps else { throw Miss() }
            return (JSONNode(position: start, kind: .object(members)), apps)
        }
    }

    /// Where the next value starts, after any whitespace.
    mutating func position() -> SourcePosition {
        scanner.skipWhitespace()
        return scanner.position
    }

    /// The next byte that is not whitespace, without reading it.
    package mutating func peek() -> UInt8? {
        scanner.skipWhitespace()
        return scanner.index < scanner.bytes.count ? scanner.bytes[scanner.index] : nil
    }

    /// Reads `{`; true when a key follows, false for `{}`, which it reads whole.
    package mutating func beginObject() throws(Miss) -> Bool {
        guard peek() == UInt8(ascii: "{") else { throw Miss() }
        do { try scanner.enter() } catch { throw Miss() }
        scanner.index += 1
        if peek() == UInt8(ascii: "}") {
            scanner.index += 1
            scanner.depth -= 1
            return false
        }
        return true
    }

    /// Reads a key and its `:`, handing back the key's bytes (valid only while the document is
    /// read). A key with an escape in it is a miss: it is rare enough to leave to the tree.
    package mutating func key() throws(Miss) -> UnsafeBufferPointer<UInt8> {
        guard peek() == UInt8(ascii: "\"") else { throw Miss() }
        let bytes = scanner.bytes
        var i = scanner.index + 1
        let start = i
        while i < bytes.count, bytes[i] != UInt8(ascii: "\"") {
            if bytes[i] == UInt8(ascii: "\\") || bytes[i] < 0x20 { throw Miss() }
            i += 1
        }
        guard i < bytes.count else { throw Miss() }
        scanner.index = i + 1
        guard peek() == UInt8(ascii: ":") else { throw Miss() }
        scanner.index += 1
        return UnsafeBufferPointer(rebasing: bytes[start..<i])
    }

    /// After a member's value: true when `,` and another member follow, false at the `}`,
    /// which it reads.
    package mutating func next() throws(Miss) -> Bool {
        switch peek() {
        case UInt8(ascii: ","):
            scanner.index += 1
            return true
        case UInt8(ascii: "}"):
            scanner.index += 1
            scanner.depth -= 1
            return false
        default: throw Miss()
        }
    }

    /// A string value; anything else is a miss.
    package mutating func string() throws(Miss) -> String {
        guard peek() == UInt8(ascii: "\"") else { throw Miss() }
        do { return try scanner.parseString() } catch { throw Miss() }
    }

    /// `true` or `false`; anything else is a miss.
    package mutating func bool() throws(Miss) -> Bool {
        switch try value().kind {
        case .bool(let b): return b
        default: throw Miss()
        }
    }

    /// A value decoded by `decode`, or, when the same bytes follow as the last time this `cache`
    /// was used, the value decoded then, without decoding again: the apps of a large blueprint
    /// (and of its state) mostly repeat the same deployment paths and attributes, and the copies
    /// share one storage. The bytes of a JSON value determine what it decodes to, and a value's
    /// bytes end where it ends, so equal bytes are the same value. Only values on one line are
    /// kept, so that line numbers stay right.
    package mutating func reusing<T>(_ cache: inout ValueCache<T>, _ decode: (inout JSONCursor) throws(Miss) -> T) throws(Miss) -> T {
        _ = peek()
        let bytes = scanner.bytes
        let start = scanner.index
        if let (span, value) = cache.last, span.count <= bytes.count - start,
            memcmp(bytes.baseAddress! + start, span.baseAddress!, span.count) == 0 {
            scanner.index = start + span.count
            return value
        }
        let value = try decode(&self)
        let span = UnsafeBufferPointer(rebasing: bytes[start..<scanner.index])
        if !span.isEmpty, span.count <= ValueCache<T>.longest, !span.contains(0x0A) { cache.last = (span, value) }
        return value
    }

    /// Any value, as a tree with its positions.
    package mutating func value() throws(Miss) -> JSONNode {
        _ = peek()
        do { return try scanner.parseValue() } catch { throw Miss() }
    }
}

/// The last value one kind of member decoded to, with its bytes (see `JSONCursor.reusing`).
package struct ValueCache<T> {
    fileprivate var last: (UnsafeBufferPointer<UInt8>, T)?

    package init() {}

    /// Longer values are decoded each time: they rarely repeat, and comparing costs.
    static var longest: Int { 1024 }
}

/// The known keys of one object that were read, so that a repeated one is a miss.
package struct KeysSeen {
    private var bits: UInt32 = 0

    package init() {}

    package mutating func insert(_ key: Int) throws(JSONCursor.Miss) {
        let bit: UInt32 = 1 << UInt32(key)
        guard bits & bit == 0 else { throw JSONCursor.Miss() }
        bits |= bit
    }

    package func contains(_ key: Int) -> Bool { bits & (1 << UInt32(key)) != 0 }
}

extension UnsafeBufferPointer<UInt8> {
    /// Whether these bytes spell `key`.
    @inline(__always) package func spells(_ key: StaticString) -> Bool {
        count == key.utf8CodeUnitCount && (count == 0 || memcmp(baseAddress!, key.utf8Start, count) == 0)
    }

    /// The bytes as a string; they were checked to be UTF-8 when the document was read.
    package var text: String { String(decoding: self, as: UTF8.self) }
}
