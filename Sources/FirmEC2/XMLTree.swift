import Foundation
import FirmBase
import FirmModel

/// An XML document as a tree of elements with their text, read with XMLReader: enough for the
/// EC2 Query API's responses. Namespaces and attributes are dropped (EC2 uses neither for data).
public struct XMLTree: Sendable, Equatable {
    public var name: String
    public var text: String
    public var children: [XMLTree]

    public init(name: String, text: String = "", children: [XMLTree] = []) {
        self.name = name
        self.text = text
        self.children = children
    }

    /// The first child named `name`.
    public subscript(name: String) -> XMLTree? { children.first { $0.name == name } }

    /// The text of the element at this path of child names, or nil.
    public func value(_ path: String...) -> String? {
        var node = self
        for name in path {
            guard let next = node[name] else { return nil }
            node = next
        }
        return node.text
    }

    /// The `item` children of the child named `name` (EC2's lists: `<instancesSet><item>…`).
    public func items(_ name: String) -> [XMLTree] {
        self[name]?.children.filter { $0.name == "item" } ?? []
    }

    /// Every element named `name` at any depth, in document order.
    public func all(_ name: String) -> [XMLTree] {
        var found: [XMLTree] = []
        for child in children {
            if child.name == name { found.append(child) }
            found += child.all(name)
        }
        return found
    }

    /// The most elements and the deepest nesting a response may have: a hostile or broken
    /// endpoint can't make firm build an unbounded tree.
    static let maxElements = 2_000_000, maxDepth = 64

    /// Parses `data`; nil when it is not well-formed XML (an HTML error page, a proxy's text).
    public static func parse(_ data: Data) -> XMLTree? {
        data.withUnsafeBytes { raw in XMLReader.parse(raw.bindMemory(to: UInt8.self)) }
    }
}
