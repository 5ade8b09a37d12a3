import Firmament
import FirmBase
import FirmModel
import FirmPlanning
import FirmExecution
import FirmSession
import FirmDrift


enum ForceUnlockCommand {
    static func run(_ args: Arguments) async throws {
        try handleHelp(args, Help.forceUnlock)
        let p = try args.positionals(["BLUEPRINT", "LOCK_ID"], Help.forceUnlock)
        let (backend, _) = try StateLocator.backend(blueprint: p[0], args, help: Help.forceUnlock)
        switch try await backend.forceUnlock(id: p[1]) {
        case .cleared(let info?):
            Terminal.out("The lock \(info.id) (\(info.operation) by \(info.who), pid \(info.pid)) was no longer held; its information is cleared.")
        case .cleared(nil):
            Terminal.out("The state is not locked.")
        case .removed(let info):
            Terminal.out("The lock \(info.id) (\(info.operation) by \(info.who), pid \(info.pid), since \(info.created)) had no lease, so it would never have ended by itself; it is removed.")
        }
    }
}
