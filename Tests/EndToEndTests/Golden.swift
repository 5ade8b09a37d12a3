import Foundation
import Testing

/// Golden files: what firm prints, compared byte for byte with a file in
/// `Tests/EndToEndTests/Golden/`, after `normalized` has replaced what differs from run to run.
///
/// To record them again after a deliberate change of the output, set FIRM_RECORD_GOLDEN=1:
///
///     FIRM_RECORD_GOLDEN=1 scripts/test --filter Golden
///
/// then read the diff of `Tests/EndToEndTests/Golden/` before committing it. A golden file that
/// is missing fails the test, saying how to record it; it never passes silently.
enum Golden {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
    static var recording: Bool { ProcessInfo.processInfo.environment["FIRM_RECORD_GOLDEN"] == "1" }

    /// What varies from run to run, and what stands for it:
    /// - the test's temp folder (firm runs in it; it appears in `State at …`): `<dir>`;
    /// - UUIDs (VM uuids, lineages): `<uuid>`;
    /// - timestamps, in ISO 8601 as firm writes them: `<time>`;
    /// - durations as firm formats them (`35µs`, `152ms`, `1.50s`): `<duration>`;
    /// - the random suffix of a VM name, `web__eb4f28`: `web__<hex>`;
    /// - the simulated cloud's random network and subnet ids, `subnet-5ecb3e54dc68`: `subnet-<hex>`;
    /// - MAC addresses (the simulated cloud derives them from the VM's name): `<mac>`.
    /// Nothing else is touched: addresses, VLANs and serials are the same on every run when the
    /// apply runs one action at a time.
    static func normalized(_ text: String, folder: String) -> String {
        var text = text
        let real = URL(fileURLWithPath: folder).resolvingSymlinksInPath().path
        for path in Set([folder, real]).sorted(by: { $0.count > $1.count }) {
            text = text.replacingOccurrences(of: path, with: "<dir>")
        }
        let rules: [(pattern: String, replacement: String)] = [
            (#"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"#, "<uuid>"),
            (#"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)"#, "<time>"),
            (#"\b[0-9a-f]{2}(:[0-9a-f]{2}){5}\b"#, "<mac>"),
            (#"\b\d+(\.\d+)?(µs|ms|s)(?![\w.])"#, "<duration>"),
            (#"__[0-9a-f]{6}\b"#, "__<hex>"),
            (#"\b(subnet|net)-[0-9a-f]{12}\b"#, "$1-<hex>"),
        ]
        for rule in rules {
            // The patterns are literals: one that does not compile is a bug here.
            let regex = try! NSRegularExpression(pattern: rule.pattern)
            text = regex.stringByReplacingMatches(in: text, range: NSRange(text.startIndex..., in: text), withTemplate: rule.replacement)
        }
        return text
    }

    /// Compares `actual`, normalized, with the golden file `name`, or records it when
    /// FIRM_RECORD_GOLDEN=1; a mismatch or a missing file is an issue of the test.
    static func check(_ actual: String, _ name: String, folder: String, sourceLocation: SourceLocation = #_sourceLocation) {
        if let problem = compare(actual, name, folder: folder, recording: recording) {
            Issue.record(Comment(rawValue: problem), sourceLocation: sourceLocation)
        }
    }

    /// What is wrong with `actual` against the golden file `name` in `goldenFolder`, or nil when
    /// it matches (or, `recording`, once it is written).
    static func compare(_ actual: String, _ name: String, folder: String, recording: Bool, goldenFolder: URL = Golden.folder) -> String? {
        let text = normalized(actual, folder: folder)
        let file = goldenFolder.appendingPathComponent(name)
        if recording {
            do {
                try FileManager.default.createDirectory(at: goldenFolder, withIntermediateDirectories: true)
                try Data(text.utf8).write(to: file)
                print("recorded \(file.path)")
                return nil
            } catch {
                return "could not record \(file.path): \(error)"
            }
        }
        guard let data = FileManager.default.contents(atPath: file.path) else {
            return """
                the golden file \(file.path) is missing. Record it with
                    FIRM_RECORD_GOLDEN=1 scripts/test --filter Golden
                and read it before committing it. What it would hold:
                \(text)
                """
        }
        let expected = String(decoding: data, as: UTF8.self)
        guard text != expected else { return nil }
        return """
            \(name) differs from its golden file, first at \(firstDifference(expected, text))
            If the change is meant, record it again with FIRM_RECORD_GOLDEN=1 scripts/test --filter Golden, and read the diff.
            The output, normalized:
            \(text)
            """
    }

    /// Where two texts first differ: the line number, and that line of each.
    static func firstDifference(_ expected: String, _ actual: String) -> String {
        let a = expected.split(separator: "\n", omittingEmptySubsequences: false), b = actual.split(separator: "\n", omittingEmptySubsequences: false)
        for i in 0..<max(a.count, b.count) where i >= a.count || i >= b.count || a[i] != b[i] {
            let was = i < a.count ? String(a[i]) : "(end of file)", now = i < b.count ? String(b[i]) : "(end of output)"
            return "line \(i + 1):\n  golden: \(was)\n  output: \(now)"
        }
        return "(no line differs)"
    }
}
