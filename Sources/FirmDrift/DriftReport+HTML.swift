import FirmBase

/// The drift report as one self-contained HTML page, for a person opening a CI artefact: a
/// summary, then each drifted item with its expected and actual values, its fix and its JUnit
/// status, the pending changes, and every testcase. It has no script and fetches nothing (its
/// Content-Security-Policy is `default-src 'none'`, its style is inline), so it reads the same
/// printed, offline and without JavaScript. Everything that came from a cloud or a blueprint
/// is escaped.
extension DriftReport {
    /// The page; `generated` is when the check ran, shown as it is given.
    public func html(generated: String? = nil) -> String {
        let cases = testCases
        let failures = cases.filter { $0.status == .failure }.count, skipped = cases.filter { $0.status == .skipped }.count
        var page = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(inSync ? "No drift" : "Drift"): \(HTML.escape(blueprint)) (firm drift)</title>
            <style>\(HTML.style)</style>
            </head>
            <body>
            <header>
            <h1>Drift report: blueprint <code>\(HTML.escape(blueprint))</code></h1>

            """
        page += "<p class=\"verdict \(inSync ? "passed" : "failure")\" id=\"verdict\">"
        page += inSync ? "No drift: the world matches the state." : "Drift: \(items.count) item\(items.count == 1 ? "" : "s") changed outside Firmament."
        page += "</p>\n<dl class=\"facts\">\n"
        page += "<dt>Blueprint file</dt><dd><code>\(HTML.escape(blueprintFile))</code></dd>\n"
        if let generated { page += "<dt>Checked</dt><dd>\(HTML.escape(generated))</dd>\n" }
        page += "<dt>Drifted items</dt><dd id=\"drift-count\">\(items.count)\(kindCounts)</dd>\n"
        page += "<dt>Pending changes</dt><dd id=\"pending-count\">\(pending.count) (not drift)</dd>\n"
        page += "<dt>As JUnit</dt><dd>\(cases.count) testcase\(cases.count == 1 ? "" : "s"), \(failures) failed, \(skipped) skipped</dd>\n"
        page += "</dl>\n</header>\n<main>\n"
        if let running { page += "<p class=\"note\">\(HTML.escape(running.text))</p>\n" }
        if !recovered.isEmpty {
            page += "<section id=\"recovered\">\n<h2>Recovered from an interrupted run</h2>\n<ul>\n"
            page += recovered.map { "<li>\(HTML.escape($0))</li>\n" }.joined() + "</ul>\n</section>\n"
        }
        page += "<section id=\"drift\">\n<h2>Drift</h2>\n"
        if items.isEmpty { page += "<p>None.</p>\n" }
        for (index, item) in items.enumerated() { page += itemHTML(item, number: index + 1) }
        page += "</section>\n"
        if !pending.isEmpty {
            page += "<section id=\"pending\">\n<h2>Pending blueprint changes (not drift)</h2>\n"
            page += "<table>\n<thead><tr><th>Target</th><th>Action</th><th>Why</th><th>JUnit</th></tr></thead>\n<tbody>\n"
            for p in pending {
                page += "<tr class=\"pending\"><td><code>\(HTML.escape(p.target))</code></td><td>\(HTML.escape(p.action))</td>"
                page += "<td>\(HTML.escape(p.reason))</td><td><span class=\"badge skipped\">skipped</span></td></tr>\n"
            }
            page += "</tbody>\n</table>\n</section>\n"
        }
        page += "<section id=\"testcases\">\n<h2>Every testcase</h2>\n<table>\n<thead><tr><th>Testcase</th><th>JUnit</th></tr></thead>\n<tbody>\n"
        for c in cases {
            page += "<tr><td><code>\(HTML.escape(c.target))</code></td><td><span class=\"badge \(c.status.rawValue)\">\(c.status.rawValue)</span></td></tr>\n"
        }
        page += "</tbody>\n</table>\n</section>\n</main>\n"
        page += "<footer>Written by <code>firm drift --html</code>. The page has no scripts and loads nothing.</footer>\n</body>\n</html>\n"
        return page
    }

    /// ` (2 power, 1 missing)`: the items by kind, in the kinds' order.
    var kindCounts: String {
        let counts = Item.Kind.allCases.compactMap { kind -> String? in
            let n = items.filter { $0.kind == kind }.count
            return n == 0 ? nil : "\(n) \(kind.rawValue)"
        }
        return counts.isEmpty ? "" : " (" + counts.joined(separator: ", ") + ")"
    }

    func itemHTML(_ item: Item, number: Int) -> String {
        var out = "<article class=\"item\" id=\"item-\(number)\" data-kind=\"\(item.kind.rawValue)\" data-target=\"\(HTML.escape(item.target))\">\n"
        out += "<h3><span class=\"badge failure\">failure</span> <span class=\"kind\">\(item.kind.rawValue)</span> <code class=\"target\">\(HTML.escape(item.target))</code></h3>\n"
        out += "<table class=\"values\">\n"
        out += "<tr><th>Expected</th><td class=\"expected\">\(HTML.escape(item.expected))</td></tr>\n"
        out += "<tr><th>Actual</th><td class=\"actual\">\(HTML.escape(item.actual))</td></tr>\n"
        out += "<tr><th>Fix</th><td class=\"fix\">\(HTML.escape(item.fix))</td></tr>\n"
        out += "<tr><th>JUnit</th><td class=\"junit\">a failure of type <code>\(item.kind.rawValue)</code> in testcase <code>\(HTML.escape(item.target))</code></td></tr>\n"
        out += "</table>\n</article>\n"
        return out
    }
}

/// Text made safe for HTML's text and attribute values.
enum HTML {
    /// XML's escaping (markup characters as entities, characters HTML can't carry replaced), with
    /// every bidirectional control shown as `\u{…}`, so that it can't reorder what is read.
    static func escape(_ text: String) -> String {
        XML.escape(ControlCharacters.escaped(text, where: ControlCharacters.isBidiControl))
    }

    /// Readable on a screen and on paper, in light and dark.
    static let style = """
        :root{color-scheme:light dark;--fail:#b42318;--skip:#9a6700;--pass:#1a7f37;--line:#d0d7de}
        body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;max-width:60rem;margin:1.5rem auto;padding:0 1rem}
        h1{font-size:1.5rem;margin:0 0 .5rem}h2{font-size:1.15rem;margin:1.6rem 0 .6rem;border-bottom:1px solid var(--line)}
        h3{font-size:1rem;margin:0 0 .4rem}code{font-family:ui-monospace,monospace;overflow-wrap:anywhere}
        .verdict{font-weight:600;font-size:1.1rem;padding:.5rem .8rem;border-left:6px solid;margin:.4rem 0}
        .verdict.failure{border-color:var(--fail);color:var(--fail)}.verdict.passed{border-color:var(--pass);color:var(--pass)}
        .facts{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;margin:.6rem 0}.facts dt{font-weight:600}.facts dd{margin:0}
        .item{border:1px solid var(--line);border-left:6px solid var(--fail);border-radius:4px;padding:.6rem .8rem;margin:.7rem 0;break-inside:avoid}
        table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;padding:.25rem .5rem;border-bottom:1px solid var(--line)}
        .values th{width:7rem}td{overflow-wrap:anywhere}.kind{font-weight:600}
        .badge{display:inline-block;font-size:.8rem;font-weight:600;padding:0 .45rem;border-radius:3px;border:1px solid}
        .badge.failure{color:var(--fail)}.badge.skipped{color:var(--skip)}.badge.passed{color:var(--pass)}
        .note{padding:.5rem .8rem;border:1px dashed var(--skip)}footer{margin-top:2rem;font-size:.85rem;opacity:.75}
        @media print{body{margin:0;max-width:none;font-size:11pt}.item,tr{break-inside:avoid}}
        """
}
