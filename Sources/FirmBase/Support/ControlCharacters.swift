/// Control characters in text that came from outside (drivers, files): what counts as one,
/// and how it is shown so that it can't act on a terminal.
public enum ControlCharacters {
    /// C0 and C1 control characters and DEL.
    public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    /// Whether `text` has a control character (C0, DEL or C1); ASCII text is checked by its bytes.
    public static func containsControl(_ text: String) -> Bool {
        var asciiOnly = true
        for byte in text.utf8 {
            if byte < 0x20 || byte == 0x7F { return true }
            if byte >= 0x80 { asciiOnly = false }
        }
        return !asciiOnly && text.unicodeScalars.contains(where: isControl)
    }

    /// The bidirectional overrides and isolates, which reorder what a terminal shows.
    public static func isBidiControl(_ scalar: Unicode.Scalar) -> Bool {
        (0x202A...0x202E).contains(scalar.value) || (0x2066...0x2069).contains(scalar.value)
    }

    /// `text` with every scalar that `escape` selects shown as `\u{1b}`.
    public static func escaped(_ text: some StringProtocol, where escape: (Unicode.Scalar) -> Bool) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if escape(scalar) { out.append(contentsOf: "\\u{\(String(scalar.value, radix: 16))}".unicodeScalars) } else { out.append(scalar) }
        }
        return String(out)
    }

    /// How much of a message from outside is shown: enough for any real error, and no 4 MB page.
    public static let outsideLimit = 400

    /// Text from a server or a driver (an error message, a code), made safe to show on one line:
    /// every control character escaped, line feeds too, so that it can't print a line that reads
    /// like firm's own; and cut at `limit` bytes of UTF-8, on a character's boundary, saying how
    /// many bytes were cut.
    public static func outside(_ text: String, limit: Int = outsideLimit) -> String {
        let total = text.utf8.count
        var kept = String.UnicodeScalarView()
        var bytes = 0
        for scalar in text.unicodeScalars {
            let size = String(scalar).utf8.count
            if bytes + size > limit { break }
            kept.append(scalar)
            bytes += size
        }
        let shown = escaped(String(kept), where: { isControl($0) || isBidiControl($0) })
        return bytes < total ? shown + "… (\(total - bytes) more bytes cut)" : shown
    }
}
