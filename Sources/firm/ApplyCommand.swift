import Firmament
import Foundation

enum ApplyCommand {
    static func run(_ args: Arguments, destroy: Bool) async throws {
        let help = destroy ? Help.destroy : Help.apply
        try handleHelp(args, help)
        let target = try args.positionals([destroy ? "BLUEPRINT" : "BLUEPRINT or PLANFILE"], help)[0]
        let parallelism = try args.int("--parallelism", default: 10, in: 1...10_000, help)
        let lockTimeout = try args.duration("--lock-timeout", help)
        let stopTimeout = try args.duration("--stop-timeout", help) ?? .seconds(10)
        let saved = destroy ? nil : try PlanFile.readIfPlan(target)
        let autoApprove = args.flag("--auto-approve") || saved != nil
        if !autoApprove && !Terminal.stdinIsTerminal {
            throw UsageError(message: "stdin is not a terminal, so firm cannot ask for confirmation; pass --auto-approve", command: help)
        }
        let session = try Session(blueprintFile: saved?.blueprintFile ?? target, statePath: args.values["--state"],
                                  baseDirectory: FileManager.default.currentDirectoryPath, driverLog: Terminal.driverLog(args))
        Signals.shared.install()
        let writable = try await session.open(operation: destroy ? "destroy" : "apply", lockTimeout: lockTimeout, refresh: args.enabled("--refresh"),
                                              parallelism: parallelism)
        defer { writable.lock.release() }
        for warning in writable.warnings { Terminal.err("warning: \(warning)") }
        Terminal.out(Reports.preamble(recovered: writable.recovered, drift: writable.drift), terminator: "")

        let plan: Plan
        if let saved {
            try session.checkFresh(saved, writable)
            plan = saved
        } else {
            plan = Planner.plan(blueprint: destroy ? session.emptied : session.blueprint, blueprintFile: session.blueprintFile,
                                state: await writable.recorder.state)
        }
        guard plan.hasChanges else {
            try await session.finish(writable, blueprint: destroy ? session.emptied : session.blueprint)
            Terminal.out(PlanRenderer.text(plan))
            return
        }
        Terminal.out(PlanRenderer.text(plan))
        let missing = session.missingEnvironment(for: plan)
        if !missing.isEmpty {
            try await writable.recorder.compact()
            Terminal.err("firm: these environment variables are needed by {\"env\": …} attributes and are not set: \(missing.joined(separator: ", ")); nothing was changed.")
            throw Exit(.failure)
        }
        if !autoApprove {
            Terminal.out("Do you want to perform these actions? Only 'yes' will be accepted: ", terminator: "")
            guard Terminal.readLine()?.trimmingCharacters(in: .whitespaces) == "yes" else {
                try await writable.recorder.compact()
                Terminal.out("\(destroy ? "Destroy" : "Apply") cancelled; nothing was changed.")
                throw Exit(.failure)
            }
        }
        let stop = StopFlag()
        let run = Task {
            try await session.execute(plan, on: writable, blueprintForRun: destroy ? session.emptied : nil, parallelism: parallelism,
                                      stop: stop, progress: Progress.print)
        }
        Signals.shared.beginApply(stop, grace: stopTimeout) { run.cancel() }
        let summary = try await run.value
        Signals.shared.endApply()
        Terminal.out(Progress.summary(summary, destroy: destroy))
        if let code = Signals.shared.exitCode { throw Exit(code) }
        if !summary.succeeded { throw Exit(.failure) }
    }
}
