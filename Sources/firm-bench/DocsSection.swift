import Foundation

/// A benchmark's own section of docs/performance.md, between its two markers: replaced where it
/// is, or added at the end the first time.
enum DocsSection {
    static func write(_ section: String, begin: String, end: String, what: String) throws {
        let path = "docs/performance.md"
        var text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        if let a = text.range(of: begin), let b = text.range(of: end) {
            text.replaceSubrange(a.lowerBound..<b.upperBound, with: section)
        } else {
            text += "\n" + section + "\n"
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        print("Wrote the \(what) section of docs/performance.md")
    }
}
