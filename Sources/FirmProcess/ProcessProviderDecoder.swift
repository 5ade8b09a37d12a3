import FirmBase
import FirmModel

/// The provider keys of `"type": "process"`: `command` (required) and `timeouts`, and the rule
/// for its `settings`, which go to the driver in `initialize`.
enum ProcessProviderDecoder {
    /// The operations a timeout can be set for, plus `default`.
    static let timeoutKeys = ["default", "initialize", "catalog"] + ProviderOperation.names

    /// The keys a process provider's entry adds: `command` (required) and `timeouts`.
    static let entryFields: [ObjectShape.Field] = [
        .init("command", .about("The driver program and its arguments, such as [\"python3\", \"drivers/mycloud.py\"].",
                                .array(of: .string(minLength: 1), nonEmpty: true)), required: true),
        .init("timeouts", .about("Each operation's time limit (or \"default\"'s), such as \"30s\".",
                                 .object(ObjectShape(timeoutKeys.map { .init($0, BlueprintShape.duration) })))),
    ]

    /// Reads `command` and `timeouts` into `spec`; false when they are wrong.
    static func decode(_ fields: JSONFields, _ path: JSONPath, _ spec: inout ProviderSpec, _ context: inout DecodingContext) -> Bool {
        let before = context.diagnostics.count
        guard let commandNode = fields["command"] else {
            context.report(path, "missing required key \"command\" (the driver program and its arguments, such as [\"python3\", \"drivers/mycloud.py\"])", at: nil)
            return false
        }
        if case .array(let items) = commandNode.kind, !items.isEmpty {
            for (i, item) in items.enumerated() {
                guard let arg = context.string(item, at: path.key("command").index(i)) else { continue }
                if arg.isEmpty || arg.utf8.contains(0) { context.report(path.key("command").index(i), "expected a non-empty argument", at: item.position) }
                else { spec.command.append(arg) }
            }
        } else {
            context.report(path.key("command"), "expected a non-empty array of strings, found \(commandNode.typeName)", at: commandNode.position)
        }
        if let node = fields["timeouts"] {
            for (op, position, value) in context.entries(of: node, at: path.key("timeouts"), what: "an object keyed by operation") ?? [] {
                guard timeoutKeys.contains(op) else {
                    let hint = Spelling.closest(to: op, among: timeoutKeys).map { " (did you mean \($0)?)" } ?? ""
                    context.report(path.key("timeouts").key(op), "unknown operation\(hint)", at: position)
                    continue
                }
                guard let text = context.string(value, at: path.key("timeouts").key(op)) else { continue }
                if let d = DurationText.parse(text), d > .zero { spec.timeouts[op] = d }
                else { context.report(path.key("timeouts").key(op), "\(quoted(text)) is not a duration; expected such as \"30s\" or \"10m\"", at: value.position) }
            }
        }
        return context.diagnostics.count == before
    }

    /// Settings are resource attributes: strings, numbers, booleans, or `{"env": NAME}`.
    static func checkSettings(_ node: JSONNode, _ path: JSONPath, _ context: inout DecodingContext) {
        for (key, _, value) in context.entries(of: node, at: path, what: "an object of settings") ?? [] {
            switch value.kind {
            case .string, .number, .bool: continue
            case .object:
                BlueprintDecoder.decodeEnvSetting(key, value, path, &context)
            default:
                context.report(path.key(key), "expected a string, number, boolean or {\"env\": \"NAME\"}, found \(value.typeName)", at: value.position)
            }
        }
    }
}
