import FirmBase

/// The languages `firm graph` draws in: Graphviz's DOT, and Mermaid's flowchart (which GitHub
/// and GitLab render in Markdown).
public enum GraphFormat: String, Sendable, CaseIterable {
    case dot, mermaid

    /// `text` as a quoted DOT string: quotes and backslashes escaped, line breaks as `\n`, other
    /// control characters dropped.
    static func dotString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: if !ControlCharacters.isControl(scalar) { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }

    /// `text` as a Mermaid node label in `["…"]` (or a rounded `(["…"])`): characters that would
    /// end or break it written as Mermaid's entity codes, line breaks as `<br>`, other control
    /// characters dropped.
    static func mermaidLabel(_ text: String, rounded: Bool = false) -> String {
        var out = rounded ? "([\"" : "[\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "#quot;"
            case "#": out += "#35;"
            case "<": out += "#lt;"
            case ">": out += "#gt;"
            case "[", "]", "{", "}", "|", "`": out += "#\(scalar.value);"
            case "\n": out += "<br>"
            default: if !ControlCharacters.isControl(scalar) { out.unicodeScalars.append(scalar) }
            }
        }
        return out + (rounded ? "\"])" : "\"]")
    }
}
