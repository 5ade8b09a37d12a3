/// One problem found in an input file: where it is and what was expected.
public struct Diagnostic: Sendable, Equatable, CustomStringConvertible {
    /// The file, as the user named it.
    public var file: String
    /// Where in the file, when known.
    public var position: SourcePosition?
    /// The JSON path, such as `apps.web.deploymentPath`; empty for the whole document.
    public var path: String
    /// What is wrong and what was expected.
    public var message: String

    public init(file: String, position: SourcePosition?, path: String, message: String) {
        self.file = file
        self.position = position
        self.path = path
        self.message = message
    }

    /// `lab.json:12:7: apps.web.deploymentPth: unknown key (did you mean deploymentPath?)`
    public var description: String {
        var text = file
        if let position { text += ":\(position)" }
        text += ": "
        if !path.isEmpty { text += "\(path): " }
        return text + message
    }
}

/// A JSON path under construction, rendered as `apps.web.attributes["Public IP"]`.
public struct JSONPath: Sendable, Equatable, CustomStringConvertible {
    /// The last step, linked to the steps before it. Paths are made for every value a decoder
    /// reads but spelled out only for the few that get a diagnostic, so a step costs one small
    /// allocation and no text.
    private final class Step: Sendable {
        enum Component { case key(String), index(Int) }
        let parent: Step?
        let component: Component
        init(_ parent: Step?, _ component: Component) {
            self.parent = parent
            self.component = component
        }
    }

    private let root: String
    private let last: Step?

    public init(_ root: String = "") {
        self.root = root
        last = nil
    }

    private init(root: String, last: Step) {
        self.root = root
        self.last = last
    }

    /// The path of member `key` below this one.
    public func key(_ key: String) -> JSONPath { JSONPath(root: root, last: Step(last, .key(key))) }

    /// The path of element `index` below this one.
    public func index(_ index: Int) -> JSONPath { JSONPath(root: root, last: Step(last, .index(index))) }

    /// The steps from the first to the last.
    private var steps: [Step.Component] {
        var steps: [Step.Component] = []
        var step = last
        while let s = step {
            steps.append(s.component)
            step = s.parent
        }
        return steps.reversed()
    }

    public var description: String {
        var text = root
        for component in steps {
            switch component {
            case .key(let key):
                let plain = !key.isEmpty && key.utf8.allSatisfy { byte in
                    (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                        || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
                }
                if plain { text = text.isEmpty ? key : text + "." + key } else { text += "[" + quoted(key) + "]" }
            case .index(let index): text += "[\(index)]"
            }
        }
        return text
    }

    public static func == (lhs: JSONPath, rhs: JSONPath) -> Bool { lhs.description == rhs.description }

    /// The node this path names below `root`, or the deepest one on the way to it that exists
    /// (the last member wins among duplicate keys, as decoding reads them); nil when not even
    /// the path's first step is in `root`.
    public func nearest(in root: JSONNode) -> JSONNode? {
        var node = root
        for (depth, component) in steps.enumerated() {
            let next: JSONNode?
            switch (component, node.kind) {
            case (.key(let key), .object(let members)): next = members.last(where: { $0.key == key })?.value
            case (.index(let index), .array(let elements)): next = elements.indices.contains(index) ? elements[index] : nil
            default: next = nil
            }
            guard let next else { return depth == 0 ? nil : node }
            node = next
        }
        return node
    }
}

/// A user-supplied string made safe to print: JSON-escaped, quoted, and cut to 80 characters.
public func quoted(_ text: String) -> String {
    let cut = text.count > 80 ? String(text.prefix(77)) + "..." : text
    return JSON.string(cut).compactText
}
