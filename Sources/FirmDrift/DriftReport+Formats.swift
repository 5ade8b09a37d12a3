import FirmBase
import FirmModel
import FirmPlanning
import FirmSession

/// The drift report as JSON, JUnit XML, GitHub Actions annotations and text.
extension DriftReport {
    /// `{"inSync", "blueprint", "items": [{"kind", "target", "expected", "actual", "fix"}], "pending", "recovered"}`
    public var json: JSON {
        var json: JSON = [
            "inSync": .bool(inSync),
            "blueprint": .string(blueprint),
            "items": .array(items.map { ["kind": .string($0.kind.rawValue), "target": .string($0.target), "expected": .string($0.expected),
                                         "actual": .string($0.actual), "fix": .string($0.fix)] }),
            "pending": .array(pending.map { ["target": .string($0.target), "action": .string($0.action), "reason": .string($0.reason)] }),
            "recovered": .array(recovered.map(JSON.string)),
        ]
        if let running, case .object(var o) = json {
            o["running"] = .string(running.text)
            json = .object(o)
        }
        return json
    }

    /// One JUnit testcase: an app, a network or an unmanaged VM, with its drift items (each a
    /// failure) or, when it has none, the blueprint change pending for it (skipped).
    public struct TestCase: Sendable, Equatable {
        public var target: String
        public var failures: [Item]
        public var pending: Pending?

        /// How a JUnit report counts a testcase.
        public enum Status: String, Sendable {
            case passed, failure, skipped
        }

        public var status: Status { !failures.isEmpty ? .failure : pending != nil ? .skipped : .passed }
    }

    /// The JUnit report's testcases, by target.
    public var testCases: [TestCase] {
        var cases: [String: TestCase] = [:]
        for target in targets { cases[target] = TestCase(target: target, failures: [], pending: nil) }
        for item in items { cases[item.target, default: TestCase(target: item.target, failures: [], pending: nil)].failures.append(item) }
        for p in pending where cases[p.target]?.failures.isEmpty ?? true {
            cases[p.target, default: TestCase(target: p.target, failures: [], pending: nil)].pending = p
        }
        return cases.keys.sorted().compactMap { cases[$0] }
    }

    /// One testcase per app and network (and per unmanaged VM), a failure per drift item, and
    /// a skipped testcase for each pending change.
    public var junit: String {
        let cases = testCases
        let failureCount = items.count
        let skipped = cases.filter { $0.status == .skipped }.count
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        xml += "<testsuites name=\"firm drift\" tests=\"\(cases.count)\" failures=\"\(failureCount)\" skipped=\"\(skipped)\">\n"
        xml += "  <testsuite name=\"\(XML.escape(blueprint))\" tests=\"\(cases.count)\" failures=\"\(failureCount)\" skipped=\"\(skipped)\">\n"
        for c in cases {
            xml += "    <testcase classname=\"\(XML.escape(blueprint))\" name=\"\(XML.escape(c.target))\""
            if c.failures.isEmpty && c.pending == nil {
                xml += "/>\n"
                continue
            }
            xml += ">\n"
            for f in c.failures {
                xml += "      <failure type=\"\(f.kind.rawValue)\" message=\"\(XML.escape("\(f.kind.rawValue): expected \(f.expected), actual \(f.actual)"))\">"
                xml += XML.escape("fix: \(f.fix)") + "</failure>\n"
            }
            if c.failures.isEmpty, let p = c.pending {
                xml += "      <skipped message=\"\(XML.escape("pending: \(p.action) (\(p.reason))"))\"/>\n"
            }
            xml += "    </testcase>\n"
        }
        xml += "  </testsuite>\n</testsuites>\n"
        return xml
    }

    /// GitHub Actions workflow commands: an error per drift item, a notice per pending change.
    public var githubAnnotations: String {
        var lines: [String] = []
        let file = GitHub.property(blueprintFile)
        for item in items {
            lines.append("::error file=\(file),title=\(GitHub.property("drift: \(item.target) (\(item.kind.rawValue))"))::"
                + GitHub.message("expected \(item.expected), actual \(item.actual); fix: \(item.fix)"))
        }
        for p in pending {
            lines.append("::notice file=\(file),title=\(GitHub.property("pending: \(p.target)"))::" + GitHub.message("\(p.action): \(p.reason)"))
        }
        if inSync { lines.append("::notice file=\(file),title=\(GitHub.property("no drift"))::" + GitHub.message("the world matches the state of \(blueprint)")) }
        return lines.joined(separator: "\n")
    }

    /// For people.
    public var text: String {
        var out = ""
        if !recovered.isEmpty {
            out += "Recovered from an interrupted run:\n" + recovered.map { "  * \($0)\n" }.joined() + "\n"
        }
        if items.isEmpty {
            out += "No drift: the world matches the state of blueprint \(quoted(blueprint)).\n"
        } else {
            out += "Drift in blueprint \(quoted(blueprint)): \(items.count) item\(items.count == 1 ? "" : "s") changed outside Firmament.\n"
            for i in items {
                out += "  \(i.kind.rawValue.padding(toLength: 14, withPad: " ", startingAt: 0))\(i.target)\n"
                out += "      expected \(i.expected)\n      actual   \(i.actual)\n      fix      \(i.fix)\n"
            }
        }
        if !pending.isEmpty {
            out += "\nPending: \(pending.count) blueprint change\(pending.count == 1 ? "" : "s") not applied yet (not drift):\n"
            for p in pending { out += "  \(p.action.padding(toLength: 12, withPad: " ", startingAt: 0))\(p.target): \(p.reason)\n" }
        }
        return out
    }
}

enum XML {
    static func escape(_ s: String) -> String {
        var out = ""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\n": out += "&#10;"
            case "\t", "\r": out += "&#\(scalar.value);"
            default:
                // Characters XML 1.0 cannot carry at all are replaced.
                if scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF { out += "\u{FFFD}" }
                else { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }
}

enum GitHub {
    static func message(_ s: String) -> String {
        s.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "\r", with: "%0D").replacingOccurrences(of: "\n", with: "%0A")
    }

    static func property(_ s: String) -> String {
        message(s).replacingOccurrences(of: ":", with: "%3A").replacingOccurrences(of: ",", with: "%2C")
    }
}

import Foundation
