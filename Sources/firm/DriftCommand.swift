import Foundation
import Firmament
import FirmBase
import FirmModel
import FirmPlanning
import FirmExecution
import FirmSession
import FirmDrift
import FirmEvents

enum DriftCommand {
    static func run(_ args: Arguments) async throws {
        try handleHelp(args, Help.drift)
        let file = try args.positionals(["BLUEPRINT"], Help.drift)[0]
        let parallelism = try args.int("--parallelism", default: 10, in: 1...10_000, Help.drift)
        let session = try Session(blueprintFile: file, statePath: args.values["--state"], components: args.components, sandbox: args.values["--sandbox"],
                                  driverLog: Terminal.driverLog(args), readAhead: true)
        let report = try await DriftDetector.detect(session, parallelism: parallelism)
        if let running = report.running { Terminal.err("note: " + running.text) }
        if let junit = args.values["--junit"] {
            do {
                try FileIO.atomicWrite(Array(report.junit.utf8), to: junit, mode: 0o644)
            } catch {
                throw StateError.io(location: junit, reason: "cannot write the JUnit report: \(error)")
            }
        }
        if let html = args.values["--html"] {
            do {
                try FileIO.atomicWrite(Array(report.html(generated: Timestamp.now()).utf8), to: html, mode: 0o644)
            } catch {
                throw StateError.io(location: html, reason: "cannot write the HTML report: \(error)")
            }
        }
        if args.flag("--json") {
            Terminal.json(report.json)
        } else if args.flag("--github") {
            Terminal.out(report.githubAnnotations)
        } else {
            Terminal.out(report.text, terminator: "")
        }
        KeptUntilExit.keep(report)
        KeptUntilExit.keep(session)
        if !report.inSync { throw Exit(.changes) }
        if args.flag("--fail-on-pending") && !report.pending.isEmpty { throw Exit(.pending) }
    }
}

enum RefreshCommand {
    static func run(_ args: Arguments) async throws {
        try handleHelp(args, Help.refresh)
        let file = try args.positionals(["BLUEPRINT"], Help.refresh)[0]
        let parallelism = try args.int("--parallelism", default: 10, in: 1...10_000, Help.refresh)
        var output = try RunOutput(args, Help.refresh, sandbox: nil)
        let session = try Session(blueprintFile: file, statePath: args.values["--state"], components: args.components, sandbox: args.values["--sandbox"])
        output.about(session.sandbox)
        do {
            let writable = try await session.open(operation: "refresh", lockTimeout: try args.duration("--lock-timeout", Help.refresh),
                                                  refresh: true, parallelism: parallelism, requireState: true)
            defer { writable.lock.release() }
            try await writable.recorder.compact()
            await writable.recorder.close()
            for warning in writable.warnings { output.warn(warning) }
            output.settled(operation: "refresh", lockWaited: writable.lockWaited, recovered: writable.recovered, drift: writable.drift)
            let preamble = Reports.preamble(recovered: writable.recovered, drift: writable.drift)
            output.out(preamble.isEmpty ? "The state already matches what the providers report." : preamble + "The state now records what the providers report.")
            output.emit(.refreshed(drift: writable.drift.count, recovered: writable.recovered.count))
        } catch {
            _ = await output.close()
            throw error
        }
        if !(await output.close()) { throw Exit(.failure) }
    }
}
