import FirmBase
import FirmModel

/// What happens to one app's VM, decided from the blueprint's app, the recorded app and what
/// changed between them, before any action is wired (Terraform's `getAction` plays this part).
/// Connections are wired around the decision by `AppPlanner`.
enum AppDecision: Equatable {
    /// Nothing for the VM itself: in both and the same (its connections may still change).
    case keep
    /// In the blueprint and not deployed.
    case deploy
    /// Recorded and no longer in the blueprint.
    case delete
    /// Recorded, with `fields` changed that need a new VM in its place.
    case replace(fields: [String])
    /// As a replace, but a subnet it sits on is re-created: the old VM is deleted first, and a
    /// new one deployed onto the new subnet.
    case redeploy(fields: [String])
    /// Only the power differs: the VM is powered to it.
    case power(Power)

    /// What changed between the blueprint's app and the recorded one.
    struct Changes: Equatable {
        /// The fields that force a new VM, in a fixed order.
        var fields: [String] = []
        /// Whether a subnet the app stays on moved to another CIDR (and is re-created).
        var subnetMoved = false
    }

    /// The decision: one switch over whether each side has the app, and what changed.
    static func decide(desired: AppSpec?, current: AppState?, _ changes: Changes) -> AppDecision {
        switch (desired, current) {
        case (nil, nil): .keep
        case (nil, _?): .delete
        case (_?, nil): .deploy
        case (let desired?, let current?):
            if changes.fields.isEmpty {
                desired.power == current.power ? .keep : .power(desired.power)
            } else {
                changes.subnetMoved ? .redeploy(fields: changes.fields) : .replace(fields: changes.fields)
            }
        }
    }

    /// Whether the recorded VM goes away (and its connections with it).
    var removesVM: Bool {
        switch self {
        case .delete, .replace, .redeploy: true
        case .keep, .deploy, .power: false
        }
    }
}
