import Foundation
import FirmBase
import FirmModel
import FirmPlanning
import FirmExecution

/// A saved plan is applied only where, and to what, it was made for.
extension Session {
    /// Checks that a saved plan was made for this blueprint file and this state.
    public func checkPlace(_ plan: Plan) throws(PlanError) {
        guard let recorded = plan.location else { return }
        let here = location
        if recorded.state != here.state {
            throw .misplaced("it was made for the state \(recorded.state), and would be applied to \(here.state); "
                + "pass --state \(recorded.state), or make a new plan")
        }
        if let planned = recorded.sandbox, planned != sandbox {
            throw .misplaced("it was made for the sandbox \(planned), and would be applied to the sandbox \(sandbox); pass --sandbox \(planned), or make a new plan")
        }
        if recorded.blueprint != here.blueprint {
            throw .misplaced("it was made from the blueprint \(recorded.blueprint), not \(here.blueprint)")
        }
    }

    /// Checks that a saved plan still fits the state and this blueprint.
    public func checkFresh(_ plan: Plan, _ locked: Locked) throws(PlanError) {
        if plan.blueprintDigest != blueprint.digest {
            throw .stale("the blueprint \(blueprintFile) changed since the plan was made")
        }
        let loaded = locked.loaded.state
        if plan.lineage != loaded.lineage {
            throw .stale("the state's lineage is \(loaded.lineage.isEmpty ? "empty (a new state)" : loaded.lineage), the plan was made for \(plan.lineage.isEmpty ? "a new state" : plan.lineage)")
        }
        if plan.serial != loaded.serial {
            throw .stale("the state changed since the plan was made (serial \(plan.serial) then, \(loaded.serial) now)")
        }
    }
}
