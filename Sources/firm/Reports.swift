import Firmament
import FirmBase
import FirmModel
import FirmPlanning
import FirmExecution
import FirmSession
import FirmDrift


/// Text for what happened before planning.
enum Reports {
    static func preamble(recovered: [Recovery.Finding], drift: [Refresher.Note]) -> String {
        var out = ""
        if !recovered.isEmpty {
            out += "Recovered from an interrupted run:\n"
            for f in recovered { out += "  * \(f.message)\n" }
            out += "\n"
        }
        if !drift.isEmpty {
            out += "Refresh found changes made outside Firmament:\n"
            for n in drift { out += "  * app.\(n.app): \(n.kind.rawValue): recorded \(n.expected), actual \(n.actual)\n" }
            out += "\n"
        }
        return out
    }
}

extension Refresher.Note {
    var json: JSON {
        ["target": .string("app.\(app)"), "kind": .string(kind.rawValue), "expected": .string(expected), "actual": .string(actual)]
    }
}
