import Firmament
import FirmBase
import FirmModel
import FirmPlanning
import FirmExecution
import FirmSession
import FirmDrift

/// Exit codes, documented in docs/cli.md.
enum ExitCode: Int32 {
    /// Success, or no changes.
    case success = 0
    /// An error, or an action failed.
    case failure = 1
    /// Changes are present (`plan --detailed-exitcode`), or drift was found.
    case changes = 2
    /// Another process holds the state lock.
    case locked = 3
    /// A saved plan no longer fits the state or the blueprint.
    case stalePlan = 4
    /// No drift, but blueprint changes are not applied (`drift --fail-on-pending`).
    case pending = 5
    /// The command line is wrong.
    case usage = 64
    /// Stopped by SIGHUP (the terminal went away).
    case hangup = 129
    /// Stopped by SIGINT.
    case interrupted = 130
    /// Stopped because stdout was closed (as by `| head`), like SIGPIPE.
    case outputClosed = 141
    /// Stopped by SIGTERM.
    case terminated = 143
}

/// Ends a command with an exit code, after its output is written.
struct Exit: Error {
    var code: ExitCode
    init(_ code: ExitCode) { self.code = code }
}
