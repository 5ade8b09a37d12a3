import Foundation
import Firmament
import FirmBase
import FirmEncryption
import FirmModel
import FirmPlanning
import FirmExecution
import FirmSession
import FirmDrift

enum PlanCommand {
    static func run(_ args: Arguments) async throws {
        try handleHelp(args, Help.plan)
        let file = try args.positionals(["BLUEPRINT"], Help.plan)[0]
        let session = try Session(blueprintFile: file, statePath: args.values["--state"], components: args.components, sandbox: args.values["--sandbox"],
                                  driverLog: Terminal.driverLog(args), readAhead: true)
        let preview = try await session.preview(refresh: args.enabled("--refresh"), destroy: args.flag("--destroy"),
                                                parallelism: try args.int("--parallelism", default: 10, in: 1...10_000, Help.plan))
        // The digest is written and hashed on the other core while the plan is checked and written.
        let digest = args.flag("--json") ? preview.plan.digestInBackground() : nil
        for warning in preview.warnings { Terminal.err("warning: \(warning)") }
        if args.flag("--verbose") { Terminal.err("state: \(session.backend.location) (sandbox \(session.sandbox))") }
        // Without a refresh no provider is asked anything, so unrecorded VMs can't be seen.
        if args.enabled("--refresh") { try await session.refuseDuplicates(preview.plan, state: preview.state) }
        if !args.flag("--destroy") { try session.checkSnapshots(preview.state) }
        for warning in try await session.checkCatalog(preview.plan) { Terminal.err("warning: \(warning)") }
        if let running = preview.running { Terminal.err("note: " + running.text) }
        if let note = preview.newState { Terminal.err("note: " + note) }
        if args.flag("--json") {
            Terminal.jsonBytes(preview.plan.prettyBytes(extra: [("recovered", .array(preview.recovered.map { .string($0.message) })),
                                                                ("refresh", .array(preview.drift.map(\.json)))], digest: digest))
        } else {
            Terminal.out(Reports.preamble(recovered: preview.recovered, drift: preview.drift) + PlanRenderer.text(preview.plan))
        }
        if let out = args.values["--out"] {
            do {
                try FileIO.atomicWrite(try PlanFile.bytes(preview.plan), to: out)
            } catch let error as EncryptionError {
                throw error
            } catch {
                throw StateError.io(location: out, reason: "cannot save the plan: \(error)")
            }
            if !args.flag("--json") { Terminal.out("Saved the plan to \(out). Apply it with: firm apply \(out)") }
        }
        let changes = preview.plan.hasChanges
        KeptUntilExit.keep(preview)
        KeptUntilExit.keep(session)
        if args.flag("--detailed-exitcode") && changes { throw Exit(.changes) }
    }
}
