import Testing
@testable import FirmBase
@testable import FirmDrift

/// The HTML drift report's text, without a browser (DriftHTMLTests opens it in one).
@Suite("Drift report as a page")
struct DriftPageTests {
    static func report(target: String, actual: String) -> DriftReport {
        DriftReport(blueprint: "lab", blueprintFile: "lab.json",
                    items: [DriftReport.Item(kind: .unmanaged, target: target, expected: "no VM", actual: actual, fix: "none")],
                    pending: [], recovered: [], targets: ["app.web"])
    }

    @Test("markup, quotes, control and bidirectional characters from a cloud are escaped in text and in attributes")
    func escaping() {
        let page = Self.report(target: "vm.\"><b onmouseover=x>", actual: "a\u{202E}b & <i>\u{0}c'").html()
        #expect(page.contains("data-target=\"vm.&quot;&gt;&lt;b onmouseover=x&gt;\""))
        #expect(page.contains("<td class=\"actual\">a\\u{202e}b &amp; &lt;i&gt;\u{FFFD}c&apos;</td>"))
        #expect(!page.contains("<b ") && !page.contains("<i>") && !page.unicodeScalars.contains("\u{202E}"))
    }

    @Test("the page's JUnit counts are the JUnit report's, and its status for each testcase too")
    func junitAgrees() {
        var report = Self.report(target: "vm.x", actual: "VM x")
        report.pending = [DriftReport.Pending(target: "app.db", action: "deploy", reason: "new")]
        let page = report.html(generated: "2026-12-06T12:00:00Z")
        #expect(report.junit.contains("tests=\"3\" failures=\"1\" skipped=\"1\""))
        #expect(page.contains("3 testcases, 1 failed, 1 skipped") && page.contains("<dd>2026-12-06T12:00:00Z</dd>"))
        #expect(report.testCases.map(\.status) == [.skipped, .passed, .failure])
    }
}
