import Foundation
import Testing
import FirmBase
import FirmTestSupport

/// `firm drift --html`, opened in a real browser: Debian's Chromium, headless, which scripts/test
/// installs (FIRM_CHROMIUM). The screenshot and a PDF print are kept under .build/drift-report/
/// for a person to look at.
@Suite("End to end: the HTML drift report in a real browser")
struct DriftHTMLTests {
    static let chromium = ProcessInfo.processInfo.environment["FIRM_CHROMIUM"].flatMap { $0.isEmpty ? nil : $0 }
    static let enabled = chromium != nil || ProcessInfo.processInfo.environment["CI"] != nil
    static let kept = ProcessDriverTests.root.appendingPathComponent(".build/drift-report").path

    /// Runs headless Chromium on `page` with `arguments`, for at most a minute: its stdout.
    static func chromium(_ arguments: [String], page: String, in firm: FirmProcess) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(chromium, "scripts/test installs chromium and sets FIRM_CHROMIUM"))
        // A profile of the test's own, so that runs never share or leave one behind.
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + firm.path("chromium-profile")] + arguments
            + [URL(fileURLWithPath: page).absoluteString]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let box = ReadBox(out.fileHandleForReading)
        #expect(process.waitUntilExit(limit: .seconds(60)), "chromium did not finish within a minute")
        #expect(process.terminationStatus == 0)
        return box.text()
    }

    /// A TCP listener on a free port of 127.0.0.1 that reports every connection it gets: what the
    /// page must never reach.
    final class Listener {
        let process = Process()
        let output: ReadBox
        let port: Int

        init() throws {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-u", "-c", """
                import socket
                s = socket.socket()
                s.bind(("127.0.0.1", 0))
                s.listen(8)
                print(s.getsockname()[1])
                while True:
                    c, _ = s.accept()
                    print("connection")
                    c.close()
                """]
            let out = Pipe()
            process.standardOutput = out
            try process.run()
            let box = ReadBox(out.fileHandleForReading)
            output = box
            var port: Int?
            _ = waitUntil(.seconds(20)) {
                port = box.soFar.split(separator: "\n").first.flatMap { Int($0) }
                return port != nil
            }
            self.port = try #require(port, "the listener did not start")
        }

        var connections: Int { output.soFar.components(separatedBy: "connection").count - 1 }

        func stop() {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    @Test("the page shows the summary, each item with its values, fix and JUnit status, and the pending change; a driver's <script> in a VM name is text, and nothing is fetched",
          .enabled(if: enabled))
    func pageInBrowser() throws {
        let bed = try TestBed(.local)
        defer { bed.stop() }
        let firm = bed.firm
        let listener = try Listener()
        defer { listener.stop() }
        firm.write("lab.json", Blueprints.lab())
        #expect(try bed.run(["apply", "lab.json", "--auto-approve"]).code == 0)
        #expect(try bed.run(["sim", "lab.json", "stop", "web"]).code == 0)
        // A VM that the cloud reports for the sandbox, named by someone hostile.
        let hostile = "<script>document.title='pwned'</script><img src=\"http://127.0.0.1:\(listener.port)/x.png\">"
        var name: [UInt8] = []
        JSONWriter.writeString(hostile, into: &name)
        let line = "{\"put\":{\"vmName\":\(String(decoding: name, as: UTF8.self)),\"vmUuid\":\"0b1c2d3e-0000-4000-8000-000000000001\",\"app\":\"api\",\"sandbox\":\"lab\","
            + "\"deploymentType\":\"small\",\"status\":\"running\",\"ip\":\"10.9.0.99\",\"publicIp\":\"\",\"mac\":\"02:00:00:00:00:99\",\"vlans\":{},\"subnets\":[]}}\n"
        let world = try FileHandle(forWritingTo: URL(fileURLWithPath: firm.path(".firm/sim/sim.world")))
        try world.seekToEnd()
        try world.write(contentsOf: Data(line.utf8))
        try world.close()
        firm.write("lab.json", Blueprints.lab(extraApps: #", "cache": {"deploymentPath": {"provider": "sim", "deploymentType": "redis"}}"#))

        let drift = try bed.run(["drift", "lab.json", "--html", "report.html", "--junit", "drift.xml"])
        #expect(drift.code == 2, "\(drift.output)")
        let page = try #require(firm.read("report.html"))
        #expect(page.contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"))
        #expect(!page.contains("<script") && !page.contains("<img") && !page.contains("<link"), "the page has no script, image or link of its own")
        #expect(page.range(of: #"(src|href)\s*=\s*["']?[a-z]+:"#, options: .regularExpression) == nil, "the page names no URL to load")

        let dom = try Self.chromium(["--dump-dom"], page: firm.path("report.html"), in: firm)
        #expect(dom.contains("<title>Drift: lab (firm drift)</title>"), "the title is the report's: no script ran")
        #expect(!dom.contains("<script") && !dom.contains("<img"), "the hostile name made no element")
        #expect(dom.contains("&lt;script&gt;document.title='pwned'&lt;/script&gt;&lt;img src=\"http://127.0.0.1:\(listener.port)/x.png\"&gt;"),
                "the hostile name is shown as text")
        #expect(dom.contains("id=\"verdict\">Drift: 2 items changed outside Firmament.</p>"))
        #expect(dom.contains("<dd id=\"drift-count\">2 (1 power, 1 unmanaged)</dd>") && dom.contains("<dd id=\"pending-count\">1 (not drift)</dd>"))
        let items = dom.components(separatedBy: "<article class=\"item\"").dropFirst()
        #expect(items.count == 2)
        let power = try #require(items.first { $0.contains("data-kind=\"power\" data-target=\"app.web\"") })
        #expect(power.contains("<td class=\"expected\">on</td>") && power.contains("<td class=\"actual\">off</td>") && power.contains("<td class=\"fix\">powerOn</td>"))
        #expect(power.contains("a failure of type <code>power</code> in testcase <code>app.web</code>"))
        let unmanaged = try #require(items.first { $0.contains("data-kind=\"unmanaged\"") })
        #expect(unmanaged.contains("<td class=\"expected\">no VM</td>") && unmanaged.contains("tagged for app api"))
        #expect(dom.contains("<tr class=\"pending\"><td><code>app.cache</code></td><td>deploy</td>"))
        // The JUnit statuses are the JUnit report's: as many testcases, failures and skips.
        let junit = try #require(firm.read("drift.xml"))
        #expect(junit.contains("tests=\"5\" failures=\"2\" skipped=\"1\""), "\(junit)")
        #expect(dom.contains("5 testcases, 2 failed, 1 skipped"))
        #expect(dom.components(separatedBy: "<span class=\"badge passed\">passed</span>").count - 1 == 2)

        try? FileManager.default.createDirectory(atPath: Self.kept, withIntermediateDirectories: true)
        let screenshot = Self.kept + "/drift.png", pdf = Self.kept + "/drift.pdf"
        try? FileManager.default.removeItem(atPath: screenshot)
        try? FileManager.default.removeItem(atPath: pdf)
        try? FileManager.default.removeItem(atPath: Self.kept + "/drift.html")
        try FileManager.default.copyItem(atPath: firm.path("report.html"), toPath: Self.kept + "/drift.html")
        _ = try Self.chromium(["--screenshot=" + screenshot, "--window-size=1200,1500", "--hide-scrollbars"], page: firm.path("report.html"), in: firm)
        let png = try #require(FileManager.default.contents(atPath: screenshot), "no screenshot")
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 10_000, "a PNG with something drawn on it")
        _ = try Self.chromium(["--print-to-pdf=" + pdf, "--no-pdf-header-footer"], page: firm.path("report.html"), in: firm)
        let printed = try #require(FileManager.default.contents(atPath: pdf), "no PDF")
        #expect(printed.starts(with: Array("%PDF".utf8)) && printed.count > 5_000, "the page prints")
        #expect(listener.connections == 0, "the page fetched the hostile image")
    }

    @Test("a world in sync gives a page that says so, with every testcase passed", .enabled(if: enabled))
    func inSyncPage() throws {
        let bed = try TestBed(.local)
        defer { bed.stop() }
        let firm = bed.firm
        firm.write("lab.json", Blueprints.lab())
        #expect(try bed.run(["apply", "lab.json", "--auto-approve"]).code == 0)
        let drift = try bed.run(["drift", "lab.json", "--html", "report.html"])
        #expect(drift.code == 0, "\(drift.output)")
        let dom = try Self.chromium(["--dump-dom"], page: firm.path("report.html"), in: firm)
        #expect(dom.contains("<title>No drift: lab (firm drift)</title>") && dom.contains("No drift: the world matches the state."))
        #expect(!dom.contains("<article") && dom.components(separatedBy: "badge passed").count - 1 == 3)
        #expect(try bed.run(["drift", "lab.json", "--html", firm.path("missing/folder/report.html")]).code == 1, "an unwritable report is an error")
    }
}
