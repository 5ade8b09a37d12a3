import FirmBase

/// One property of a hardware profile (CPU, memory or storage), in Deltacloud's three kinds:
/// a fixed value, a range (min..max, step) or an enumeration.
public enum CatalogValue: Sendable, Equatable {
    case fixed(Double)
    /// From `min` to `max`, in steps of `step` from `min`.
    case range(min: Double, max: Double, step: Double)
    case enumeration([Double])

    /// The largest value a catalog may hold, and the most values an enumeration may list.
    static let largest = 1e12
    static let mostValues = 1_000

    /// Whether `value` is one the property offers.
    public func contains(_ value: Double) -> Bool {
        switch self {
        case .fixed(let v): return value == v
        case .range(let low, let high, let step):
            guard value >= low, value <= high else { return false }
            let steps = (value - low) / step
            return abs(steps - steps.rounded()) < 1e-9
        case .enumeration(let values): return values.contains(value)
        }
    }

    /// `2`, `1..16 step 1`, `1024, 2048, 4096`.
    public var text: String {
        switch self {
        case .fixed(let v): return Self.number(v)
        case .range(let low, let high, let step): return "\(Self.number(low))..\(Self.number(high))" + (step == 1 ? "" : " step \(Self.number(step))")
        case .enumeration(let values): return values.map(Self.number).joined(separator: ", ")
        }
    }

    /// As `firm catalog --json` and settings write it: a number, `{"min", "max", "step"}`, or an array.
    public var json: JSON {
        switch self {
        case .fixed(let v): return .number(Self.number(v))
        case .range(let low, let high, let step):
            return ["min": .number(Self.number(low)), "max": .number(Self.number(high)), "step": .number(Self.number(step))]
        case .enumeration(let values): return .array(values.map { .number(Self.number($0)) })
        }
    }

    /// A number without a needless fraction: `2`, `0.5`.
    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    /// Reads a value that `json` wrote, reporting problems with `path`.
    static func decode(_ node: JSONNode, _ path: JSONPath, _ context: inout DecodingContext) -> CatalogValue? {
        func number(_ node: JSONNode, _ path: JSONPath) -> Double? {
            context.number(node, at: path, accepts: { $0.isFinite && $0 >= 0 && $0 <= largest }, expected: "a number from 0 to 10^12")
        }
        switch node.kind {
        case .number:
            return number(node, path).map(CatalogValue.fixed)
        case .array(let items):
            guard !items.isEmpty, items.count <= mostValues else {
                context.report(path, "expected from 1 to \(mostValues) values, found \(items.count)", at: node.position)
                return nil
            }
            var values: [Double] = []
            for (i, item) in items.enumerated() {
                guard let v = number(item, path.index(i)) else { return nil }
                values.append(v)
            }
            return .enumeration(values)
        case .object:
            guard let fields = context.members(of: node, at: path, allowed: ["min", "max", "step"], required: ["min", "max"]),
                  let lowNode = fields["min"], let highNode = fields["max"],
                  let low = number(lowNode, path.key("min")), let high = number(highNode, path.key("max")) else { return nil }
            var step = 1.0
            if let stepNode = fields["step"] {
                guard let s = context.number(stepNode, at: path.key("step"), accepts: { $0.isFinite && $0 > 0 && $0 <= largest },
                                             expected: "a step above 0") else { return nil }
                step = s
            }
            guard low <= high else {
                context.report(path, "min \(Self.number(low)) is above max \(Self.number(high))", at: node.position)
                return nil
            }
            return .range(min: low, max: high, step: step)
        default:
            context.report(path, "expected a number, a range {\"min\", \"max\", \"step\"} or an array of numbers, found \(node.typeName)", at: node.position)
            return nil
        }
    }
}
