import Foundation

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// An XML document as a tree of elements with their text, read with Foundation's XMLParser:
/// enough for the EC2 Query API's responses. Namespaces and attributes are dropped (EC2 uses
/// neither for data).
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
        let builder = Builder()
        let parser = XMLParser(data: data)
        parser.shouldProcessNamespaces = true
        parser.shouldResolveExternalEntities = false
        parser.delegate = builder
        guard parser.parse(), !builder.failed, let root = builder.root else { return nil }
        return root
    }

    private final class Builder: NSObject, XMLParserDelegate {
        var stack: [XMLTree] = []
        var root: XMLTree?
        var count = 0
        var failed = false

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            count += 1
            if count > XMLTree.maxElements || stack.count >= XMLTree.maxDepth {
                failed = true
                parser.abortParsing()
                return
            }
            stack.append(XMLTree(name: name))
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            guard !stack.isEmpty else { return }
            stack[stack.count - 1].text += string
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            guard var done = stack.popLast() else { return }
            if !done.children.isEmpty { done.text = done.text.trimmingCharacters(in: .whitespacesAndNewlines) }
            if stack.isEmpty { root = done } else { stack[stack.count - 1].children.append(done) }
        }
    }
}
