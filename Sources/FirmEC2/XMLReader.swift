import Foundation
import FirmBase
import FirmModel

/// A small, strict reader of XML 1.0 documents into `XMLTree`s, for the EC2 Query API's answers.
///
/// It reads elements, attributes (checked, then dropped), character data with the five named
/// entities and character references, CDATA sections, comments and processing instructions.
/// Names keep only their local part, as a namespace-aware parser reports them. A document type
/// declaration is refused: EC2 never sends one, and refusing it rules out entity expansion.
/// Anything not well-formed gives nil, never a crash: invalid UTF-8, a mismatched or missing end
/// tag, a raw `<` or `&` where it can't be, a control character, a second root, too many elements
/// or too deep a nesting.
///
/// Foundation's XMLParser did this before; it needs FoundationXML, libxml2 and ICU, which cost
/// every `firm` process about 4 ms to load whether it talks to EC2 or not.
struct XMLReader {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var i = 0
    private var elements = 0

    private init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    struct Malformed: Error {}

    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> XMLTree? {
        guard case .valid = UTF8Validation.scan(bytes) else { return nil }
        var reader = XMLReader(bytes)
        return try? reader.document()
    }

    private mutating func document() throws(Malformed) -> XMLTree {
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { i = 3 }
        if starts("<?xml"), i + 5 < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i + 5]) { try declaration() }
        try misc()
        guard peek(UInt8(ascii: "<")) else { throw Malformed() }
        let root = try element(depth: 0)
        try misc()
        guard i == bytes.count else { throw Malformed() }
        return root
    }

    /// Whitespace, comments and processing instructions, before or after the root.
    private mutating func misc() throws(Malformed) {
        while true {
            skipSpace()
            if starts("<?") {
                try processingInstruction()
            } else if starts("<!--") {
                try comment()
            } else if starts("<!") {
                // A DOCTYPE or anything else of the kind.
                throw Malformed()
            } else {
                return
            }
        }
    }

    private mutating func element(depth: Int) throws(Malformed) -> XMLTree {
        elements += 1
        guard elements <= XMLTree.maxElements, depth < XMLTree.maxDepth else { throw Malformed() }
        i += 1
        let qualified = try name()
        // A qualified name is a local name with at most one prefix.
        let colons = qualified.filter { $0 == UInt8(ascii: ":") }.count
        guard colons == 0 || (colons == 1 && qualified.first != UInt8(ascii: ":") && qualified.last != UInt8(ascii: ":")) else { throw Malformed() }
        var node = XMLTree(name: localName(qualified))
        var attributes: [UnsafeBufferPointer<UInt8>] = []
        while true {
            let spaced = skipSpace()
            guard i < bytes.count else { throw Malformed() }
            if starts("/>") {
                i += 2
                return node
            }
            if bytes[i] == UInt8(ascii: ">") {
                i += 1
                break
            }
            guard spaced else { throw Malformed() }
            let attribute = try name()
            guard !attributes.contains(where: { $0.elementsEqual(attribute) }) else { throw Malformed() }
            attributes.append(attribute)
            skipSpace()
            guard peek(UInt8(ascii: "=")) else { throw Malformed() }
            i += 1
            skipSpace()
            try attributeValue()
        }
        var text: [UInt8] = []
        while true {
            guard i < bytes.count else { throw Malformed() }
            let byte = bytes[i]
            if byte == UInt8(ascii: "<") {
                if starts("</") {
                    i += 2
                    let end = try name()
                    skipSpace()
                    guard end.elementsEqual(qualified), peek(UInt8(ascii: ">")) else { throw Malformed() }
                    i += 1
                    node.text = String(decoding: text, as: UTF8.self)
                    if !node.children.isEmpty { node.text = node.text.trimmingCharacters(in: .whitespacesAndNewlines) }
                    return node
                } else if starts("<!--") {
                    try comment()
                } else if starts("<![CDATA[") {
                    i += 9
                    guard let end = find("]]>") else { throw Malformed() }
                    try appendCharacters(from: i, to: end, into: &text)
                    i = end + 3
                } else if starts("<?") {
                    try processingInstruction()
                } else {
                    node.children.append(try element(depth: depth + 1))
                }
            } else if byte == UInt8(ascii: "&") {
                try reference(into: &text)
            } else {
                if starts("]]>") { throw Malformed() }
                try appendCharacter(into: &text)
            }
        }
    }

    /// A quoted attribute value, checked; its value is not needed.
    private mutating func attributeValue() throws(Malformed) {
        guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") || bytes[i] == UInt8(ascii: "'") else { throw Malformed() }
        let quote = bytes[i]
        i += 1
        var scratch: [UInt8] = []
        while true {
            guard i < bytes.count else { throw Malformed() }
            let byte = bytes[i]
            if byte == quote {
                i += 1
                return
            }
            if byte == UInt8(ascii: "<") { throw Malformed() }
            if byte == UInt8(ascii: "&") {
                try reference(into: &scratch)
            } else {
                try appendCharacter(into: &scratch)
            }
            scratch.removeAll(keepingCapacity: true)
        }
    }

    /// `&name;` or `&#N;` / `&#xN;`, appended as UTF-8.
    private mutating func reference(into out: inout [UInt8]) throws(Malformed) {
        i += 1
        guard let semicolon = bytes[i...].prefix(12).firstIndex(of: UInt8(ascii: ";")) else { throw Malformed() }
        let body = UnsafeBufferPointer(rebasing: bytes[i..<semicolon])
        i = semicolon + 1
        let scalar: UInt32
        if body.first == UInt8(ascii: "#") {
            let hex = body.count > 1 && body[1] == UInt8(ascii: "x")
            let digits = body.dropFirst(hex ? 2 : 1)
            guard !digits.isEmpty, let value = UInt32(String(decoding: digits, as: UTF8.self), radix: hex ? 16 : 10) else { throw Malformed() }
            scalar = value
        } else {
            switch String(decoding: body, as: UTF8.self) {
            case "lt": scalar = 0x3C
            case "gt": scalar = 0x3E
            case "amp": scalar = 0x26
            case "quot": scalar = 0x22
            case "apos": scalar = 0x27
            default: throw Malformed()
            }
        }
        guard Self.isXMLChar(scalar), let s = Unicode.Scalar(scalar) else { throw Malformed() }
        out.append(contentsOf: String(s).utf8)
    }

    /// One character of character data at `i`, appended; a line break of `\r\n` or `\r` is read
    /// as `\n`, as XML requires.
    private mutating func appendCharacter(into out: inout [UInt8]) throws(Malformed) {
        let byte = bytes[i]
        if byte == 0x0D {
            out.append(0x0A)
            i += i + 1 < bytes.count && bytes[i + 1] == 0x0A ? 2 : 1
            return
        }
        if byte < 0x20 && byte != 0x09 && byte != 0x0A { throw Malformed() }
        if byte < 0x80 {
            out.append(byte)
            i += 1
            return
        }
        let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : 2
        let end = min(i + length, bytes.count)
        let s = String(decoding: UnsafeBufferPointer(rebasing: bytes[i..<end]), as: UTF8.self)
        guard let scalar = s.unicodeScalars.first, Self.isXMLChar(scalar.value) else { throw Malformed() }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[i..<end]))
        i = end
    }

    /// The characters from `start` to `end` (a CDATA section's), checked and appended.
    private mutating func appendCharacters(from start: Int, to end: Int, into out: inout [UInt8]) throws(Malformed) {
        i = start
        while i < end { try appendCharacter(into: &out) }
    }

    /// `<?xml version="1.x" encoding="UTF-8" standalone="yes"?>`, the last two optional, in that
    /// order. Only UTF-8 is read; EC2 answers in nothing else.
    private mutating func declaration() throws(Malformed) {
        i += 5
        var names = ["version", "encoding", "standalone"][...]
        while true {
            let spaced = skipSpace()
            if starts("?>") {
                guard names.first != "version" else { throw Malformed() }
                i += 2
                return
            }
            guard spaced else { throw Malformed() }
            let name = String(decoding: try self.name(), as: UTF8.self)
            // Each in its order, none twice; version first and required.
            guard let k = names.firstIndex(of: name), names.first != "version" || k == names.startIndex else { throw Malformed() }
            names = names[(k + 1)...]
            skipSpace()
            guard peek(UInt8(ascii: "=")) else { throw Malformed() }
            i += 1
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") || bytes[i] == UInt8(ascii: "'") else { throw Malformed() }
            let quote = bytes[i]
            guard let end = bytes[(i + 1)...].firstIndex(of: quote) else { throw Malformed() }
            let value = String(decoding: UnsafeBufferPointer(rebasing: bytes[(i + 1)..<end]), as: UTF8.self)
            i = end + 1
            switch name {
            case "version":
                guard value.hasPrefix("1."), value.count > 2, value.dropFirst(2).allSatisfy({ $0.isASCII && $0.isNumber }) else { throw Malformed() }
            case "encoding":
                guard value.lowercased() == "utf-8" else { throw Malformed() }
            default:
                guard value == "yes" || value == "no" else { throw Malformed() }
            }
        }
    }

    private mutating func comment() throws(Malformed) {
        i += 4
        guard let end = find("--") else { throw Malformed() }
        var scratch: [UInt8] = []
        while i < end { try appendCharacter(into: &scratch) }
        // "--" may only end a comment.
        guard starts("-->") else { throw Malformed() }
        i += 3
    }

    private mutating func processingInstruction() throws(Malformed) {
        let start = i
        i += 2
        let target = try name()
        // The XML declaration may only open the document.
        if target.count == 3, String(decoding: target, as: UTF8.self).lowercased() == "xml", start != (bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0) {
            throw Malformed()
        }
        // The target ends the instruction, or a space separates it from what follows.
        guard starts("?>") || skipSpace() else { throw Malformed() }
        guard let end = find("?>") else { throw Malformed() }
        var scratch: [UInt8] = []
        while i < end { try appendCharacter(into: &scratch) }
        i = end + 2
    }

    /// An XML name at `i`; its bytes.
    private mutating func name() throws(Malformed) -> UnsafeBufferPointer<UInt8> {
        let start = i
        while i < bytes.count {
            let b = bytes[i]
            let letter = (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == UInt8(ascii: "_") || b == UInt8(ascii: ":") || b >= 0x80
            let other = (b >= 0x30 && b <= 0x39) || b == UInt8(ascii: "-") || b == UInt8(ascii: ".")
            guard letter || (other && i > start) else { break }
            i += 1
        }
        guard i > start else { throw Malformed() }
        return UnsafeBufferPointer(rebasing: bytes[start..<i])
    }

    /// A name without its namespace prefix.
    private func localName(_ qualified: UnsafeBufferPointer<UInt8>) -> String {
        let local = qualified.lastIndex(of: UInt8(ascii: ":")).map { qualified[($0 + 1)...] } ?? qualified[...]
        return String(decoding: local, as: UTF8.self)
    }

    @discardableResult
    private mutating func skipSpace() -> Bool {
        let start = i
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x09 || bytes[i] == 0x0A || bytes[i] == 0x0D { i += 1 }
        return i > start
    }

    private func peek(_ byte: UInt8) -> Bool { i < bytes.count && bytes[i] == byte }

    private func starts(_ text: StaticString) -> Bool {
        let n = text.utf8CodeUnitCount
        guard i + n <= bytes.count else { return false }
        for k in 0..<n where bytes[i + k] != text.utf8Start[k] { return false }
        return true
    }

    /// Where `text` next starts, from `i` on.
    private func find(_ text: StaticString) -> Int? {
        let n = text.utf8CodeUnitCount
        var k = i
        while k + n <= bytes.count {
            if bytes[k] == text.utf8Start[0], (0..<n).allSatisfy({ bytes[k + $0] == text.utf8Start[$0] }) { return k }
            k += 1
        }
        return nil
    }

    /// XML 1.0's Char production.
    private static func isXMLChar(_ v: UInt32) -> Bool {
        v == 0x9 || v == 0xA || v == 0xD || (0x20...0xD7FF).contains(v) || (0xE000...0xFFFD).contains(v) || (0x10000...0x10FFFF).contains(v)
    }
}
