import FirmBase
import FirmModel

/// Why a saved plan cannot be used.
public enum PlanError: Error, Equatable, CustomStringConvertible {
    case invalid([Diagnostic])
    case stale(String)
    /// The plan was made for another state or blueprint than the one it would be applied to.
    case misplaced(String)

    public var description: String {
        switch self {
        case .invalid(let d): d.map(\.description).joined(separator: "\n")
        case .stale(let why): "stale plan: \(why); run `firm plan` again"
        case .misplaced(let why): "this plan does not fit here: \(why)"
        }
    }
}
