import Foundation
import Firmament
import FirmBase
import FirmModel
import FirmPlanning
import FirmExecution
import FirmSession
import FirmDrift
import FirmProcess

/// `firm driver check [--connectivity L2|L3] [--setting KEY=VALUE]... [--deployment-type T]
/// [--deployment-attribute KEY=VALUE]... -- COMMAND...`
enum DriverCommand {
    static func run(_ rest: [String]) async throws {
        let help = Help.driver
        if rest.first == "--help" || rest.isEmpty {
            Terminal.out(help.text)
            if rest.isEmpty { throw Exit(.usage) }
            return
        }
        guard rest.first == "check" else { throw UsageError(message: "unknown driver subcommand \(quoted(rest[0])); expected check", command: help) }
        var args = Array(rest.dropFirst())
        guard let dash = args.firstIndex(of: "--") else {
            if args.contains("--help") { Terminal.out(help.text); return }
            throw UsageError(message: "put the driver's command after --, such as: firm driver check -- python3 driver.py", command: help)
        }
        let command = Array(args[(dash + 1)...])
        args = Array(args[..<dash])
        guard !command.isEmpty else { throw UsageError(message: "missing the driver's command after --", command: help) }
        var settings = JSONObject()
        var connectivity = Connectivity.l2
        var deployment = DriverCheck.Deployment()
        var i = 0
        while i < args.count {
            let arg = args[i]
            guard i + 1 < args.count else { throw UsageError(message: "\(arg) needs a value", command: help) }
            let value = args[i + 1]
            switch arg {
            case "--setting":
                guard let (key, text) = keyValue(value) else { throw UsageError(message: "--setting takes KEY=VALUE (VALUE may be empty), not \(quoted(value))", command: help) }
                settings[key] = .string(text)
            case "--deployment-type":
                guard !value.isEmpty else { throw UsageError(message: "--deployment-type needs a deployment path", command: help) }
                deployment.type = value
            case "--deployment-attribute":
                guard let (key, text) = keyValue(value) else {
                    throw UsageError(message: "--deployment-attribute takes KEY=VALUE (VALUE may be empty), not \(quoted(value))", command: help)
                }
                deployment.attributes[key] = text
            case "--connectivity":
                guard let c = Connectivity(rawValue: value) else { throw UsageError(message: "--connectivity takes L2 or L3", command: help) }
                connectivity = c
            default:
                throw UsageError(message: "unknown option \(arg)", command: help)
            }
            i += 2
        }
        if settings["connectivity"] == nil { settings["connectivity"] = .string(connectivity.rawValue) }
        let spec = ProviderSpec(type: "process", connectivity: connectivity, settings: .object(settings), command: command,
                                timeouts: ["default": .seconds(30)])
        let driver = ProcessDriver(name: "check", spec: spec, sandbox: "firm-driver-check-" + UUIDText.hex(6),
                                   baseDirectory: FileManager.default.currentDirectoryPath)
        let results = await DriverCheck.run(driver, deployment: deployment)
        for r in results {
            Terminal.out("\(r.passed ? "PASS" : "FAIL")  \(r.name)" + (r.detail.isEmpty ? "" : ": " + r.detail.replacingOccurrences(of: "\n", with: "\n        ")))
        }
        let failed = results.filter { !$0.passed }.count
        Terminal.out("\n\(results.count - failed) passed, \(failed) failed")
        if failed > 0 { throw Exit(.failure) }
    }

    /// KEY=VALUE split at the first "=": the key must not be empty, the value may be (a shell
    /// reads attributes that are present but empty, and blueprints can hold "").
    static func keyValue(_ text: String) -> (String, String)? {
        guard let equals = text.firstIndex(of: "="), equals != text.startIndex else { return nil }
        return (String(text[..<equals]), String(text[text.index(after: equals)...]))
    }
}
