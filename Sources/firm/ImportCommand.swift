import Foundation
import Firmament
import FirmBase
import FirmModel
import FirmPlanning
import FirmExecution
import FirmSession
import FirmDrift

/// `firm import BLUEPRINT app.NAME VM` and `firm import BLUEPRINT --all`: adopts existing VMs.
enum ImportCommand {
    static func run(_ args: Arguments) async throws {
        try handleHelp(args, Help.importVMs)
        let all = args.flag("--all")
        let names = all ? ["BLUEPRINT"] : ["BLUEPRINT", "app.NAME", "VM"]
        let p = try args.positionals(names, Help.importVMs)
        let session = try Session(blueprintFile: p[0], statePath: args.values["--state"], components: args.components, sandbox: args.values["--sandbox"], driverLog: Terminal.driverLog(args))
        let lockTimeout = try args.duration("--lock-timeout", Help.importVMs)
        let result: Session.ImportResult
        if all {
            result = try await session.importAll(lockTimeout: lockTimeout)
        } else {
            result = try await session.importVM(app: try Arguments.appName(p[1], Help.importVMs), vm: p[2], lockTimeout: lockTimeout)
        }
        await session.shutdown()
        for line in result.adopted { Terminal.out("Imported \(line).") }
        for line in result.passedOver { Terminal.out("Passed over \(line).") }
        if result.adopted.isEmpty { Terminal.out("Nothing to import: no VM tagged with sandbox \(quoted(session.sandbox)) is missing from the state.") }
        else { Terminal.out("The state at \(session.backend.location) records them now; `firm plan \(p[0])\(session.sandbox == session.blueprint.name ? "" : " --sandbox \(session.sandbox)")` shows what still differs.") }
    }
}
