import Foundation
import Firmament
import FirmBase
import FirmModel
import FirmPlanning
import FirmExecution
import FirmSession
import FirmDrift

/// A usage error: the command line itself is wrong. Exits 64 with the command's usage.
struct UsageError: Error {
    var message: String
    var command: CommandHelp?
}

/// One option a command accepts.
struct OptionSpec {
    var name: String
    /// The value's placeholder, such as "PATH"; nil for a flag.
    var value: String?
    var help: String
}

/// Parsed command-line arguments: positionals, option values and flags.
struct Arguments {
    var positionals: [String] = []
    var values: [String: String] = [:]
    var flags: Set<String> = []
    /// How the state is configured (`--lock-ttl`).
    var stateOptions = StateOptions()

    /// The built-in provider types and state backends, with the state configured as given.
    var components: Components { BuiltIn.components(stateOptions) }

    /// Parses `arguments` against `help.options`. `--name value`, `--name=value` and `--` work.
    init(_ arguments: [String], for help: CommandHelp) throws(UsageError) {
        var rest = arguments[...]
        while let arg = rest.popFirst() {
            if arg == "--" {
                positionals += rest
                break
            }
            guard arg.hasPrefix("-"), arg != "-" else {
                positionals.append(arg)
                continue
            }
            let parts = arg.split(separator: "=", maxSplits: 1).map(String.init)
            let name = parts[0]
            guard let spec = help.options.first(where: { $0.name == name || ($0.name == "--verbose" && name == "-v") }) else {
                let hint = Spelling.closest(to: name, among: help.options.map(\.name)).map { " (did you mean \($0)?)" } ?? ""
                throw UsageError(message: "unknown option \(name)\(hint)", command: help)
            }
            if let placeholder = spec.value {
                if parts.count == 2 { values[spec.name] = parts[1] }
                else if let next = rest.popFirst() { values[spec.name] = next }
                else { throw UsageError(message: "\(name) needs a value (\(placeholder))", command: help) }
                if values[spec.name]?.isEmpty == true {
                    throw UsageError(message: "\(name) needs a non-empty value (\(placeholder))", command: help)
                }
            } else if parts.count == 2 {
                switch parts[1] {
                case "true": flags.insert(spec.name)
                case "false": values[spec.name] = "false"
                default: throw UsageError(message: "\(name) takes true or false, not \(quoted(parts[1]))", command: help)
                }
            } else {
                flags.insert(spec.name)
            }
        }
        // FIRM_STATE stands for --state wherever a command takes it.
        if values["--state"] == nil, help.options.contains(where: { $0.name == "--state" }),
            let state = ProcessInfo.processInfo.environment["FIRM_STATE"], !state.isEmpty {
            values["--state"] = state
        }
        if let text = values["--lock-ttl"] {
            guard let ttl = DurationText.parse(text), ttl >= .seconds(2), ttl <= .seconds(3600), ttl.components.attoseconds == 0 else {
                throw UsageError(message: "--lock-ttl takes whole seconds from 2s to 1h, such as 15s, not \(quoted(text))", command: help)
            }
            stateOptions.lockTTL = Int(ttl.components.seconds)
        }
    }

    func flag(_ name: String) -> Bool { flags.contains(name) }

    /// A boolean option that defaults to true, such as `--refresh=false`.
    func enabled(_ name: String) -> Bool { values[name] != "false" }

    func int(_ name: String, default value: Int, in range: ClosedRange<Int>, _ help: CommandHelp) throws(UsageError) -> Int {
        guard let text = values[name] else { return value }
        guard let n = Int(text), range.contains(n) else {
            throw UsageError(message: "\(name) takes a whole number from \(range.lowerBound) to \(range.upperBound), not \(quoted(text))", command: help)
        }
        return n
    }

    func duration(_ name: String, _ help: CommandHelp) throws(UsageError) -> Duration? {
        guard let text = values[name] else { return nil }
        guard let d = DurationText.parse(text) else {
            throw UsageError(message: "\(name) takes a duration such as 30s or 500ms, not \(quoted(text))", command: help)
        }
        return d
    }

    /// The app an `app.NAME` address names, or a usage error that says what was expected.
    static func appName(_ address: String, _ help: CommandHelp) throws(UsageError) -> String {
        guard address.hasPrefix("app."), Name.isValid(String(address.dropFirst(4))) else {
            throw UsageError(message: "\(quoted(String(address.prefix(80)))) is not an app's address; expected app.NAME, such as app.web", command: help)
        }
        return String(address.dropFirst(4))
    }

    /// Exactly `count` positionals, named for the message.
    func positionals(_ names: [String], _ help: CommandHelp) throws(UsageError) -> [String] {
        guard positionals.count == names.count else {
            if positionals.count < names.count {
                throw UsageError(message: "missing \(names[positionals.count])", command: help)
            }
            throw UsageError(message: "unexpected argument \(quoted(positionals[names.count]))", command: help)
        }
        return positionals
    }
}

