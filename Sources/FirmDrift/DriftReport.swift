import FirmBase
import FirmModel
import FirmPlanning
import FirmSession

/// What `firm drift` found: differences between the world and the state (drift), kept apart
/// from differences between the blueprint and the state (pending: changed, not yet applied).
public struct DriftReport: Sendable, Equatable {
    /// One difference between what a provider reports and what the state records.
    public struct Item: Sendable, Equatable {
        public enum Kind: String, Sendable, Equatable, CaseIterable {
            case missing, power, address, connectivity, unmanaged

            /// The kind of what a refresh found.
            init(_ kind: Refresher.Note.Kind) {
                switch kind {
                case .missing: self = .missing
                case .power: self = .power
                case .address: self = .address
                case .connectivity: self = .connectivity
                }
            }
        }

        public var kind: Kind
        /// An address such as `app.web`, or `vm.<name>` for a VM the state does not know.
        public var target: String
        public var expected: String
        public var actual: String
        /// The action `apply` would take, or `none` with why.
        public var fix: String
    }

    /// A blueprint change not yet applied.
    public struct Pending: Sendable, Equatable {
        public var target: String
        public var action: String
        public var reason: String
    }

    public var blueprint: String
    public var blueprintFile: String
    public var items: [Item]
    public var pending: [Pending]
    /// What recovery found (intents left by an interrupted run), in words.
    public var recovered: [String]
    /// Every app and network address, for one JUnit testcase each.
    public var targets: [String]
    /// Set when an apply was running during the check.
    public var running: Session.RunningApply?

    /// Whether the world matches the state.
    public var inSync: Bool { items.isEmpty }
}

/// Builds drift reports. Read-only: it takes no lock and writes nothing, so a scheduled drift
/// job never blocks an apply.
public enum DriftDetector {
    public static func detect(_ session: Session, parallelism: Int = 10) async throws -> DriftReport {
        let settled = try await session.settle(refresh: true, parallelism: parallelism, requireState: true)
        let (loaded, recovered, refreshed, findings, notes) = (settled.loaded, settled.recovered, settled.refreshed, settled.findings, settled.notes)

        let capabilities = try await session.capabilities(for: refreshed)
        let fixes = firstActions(Planner.plan(blueprint: session.blueprint, blueprintFile: session.blueprintFile, state: refreshed, capabilities: capabilities))
        var items = notes.map { note -> DriftReport.Item in
            let target = "app.\(note.app)"
            let fix: String
            switch note.kind {
            case .address: fix = "none: apply or firm refresh records the new address"
            case .missing, .power, .connectivity: fix = fixes[target] ?? "none: the blueprint no longer wants it"
            }
            return DriftReport.Item(kind: DriftReport.Item.Kind(note.kind), target: target,
                                    expected: note.expected, actual: note.actual, fix: fix)
        }
        // VMs that a running apply is creating or deleting right now are not unmanaged.
        let inFlight = Set(settled.running?.inFlight.map(\.vmName) ?? [])
        for (name, vm) in try await session.unrecordedVMs(refreshed, inFlight: inFlight) {
            items.append(DriftReport.Item(kind: .unmanaged, target: "vm.\(vm.vmName)", expected: "no VM",
                                          actual: "VM \(vm.vmName) (\(vm.vmUuid)) on provider \(name), tagged for app \(vm.appName)",
                                          fix: "none: Firmament does not delete VMs it did not record; delete it, or remove the tag"))
        }

        let pendingPlan = Planner.plan(blueprint: session.blueprint, blueprintFile: session.blueprintFile, state: recovered, capabilities: capabilities)
        var pending: [DriftReport.Pending] = []
        var seen = Set<String>()
        for action in pendingPlan.actions where seen.insert(action.target).inserted {
            pending.append(DriftReport.Pending(target: action.target, action: action.type.rawValue, reason: action.reason))
        }
        let targets = Set(session.blueprint.apps.keys.map { "app.\($0)" }).union(loaded.state.apps.keys.map { "app.\($0)" })
            .union(session.blueprint.networks.keys.map { "network.\($0)" })
        return DriftReport(blueprint: session.blueprint.name, blueprintFile: session.blueprintFile, items: items, pending: pending,
                           recovered: findings.map(\.message), targets: targets.sorted(), running: settled.running)
    }

    /// The first action of each target in a plan, as its type.
    static func firstActions(_ plan: Plan) -> [String: String] {
        var result: [String: String] = [:]
        for action in plan.actions where result[action.target] == nil { result[action.target] = action.type.rawValue }
        return result
    }
}
