import Foundation
import Synchronization
import Firmament
import FirmBase
import FirmModel
import FirmPlanning
import FirmExecution
import FirmSession
import FirmDrift

/// SIGINT, SIGTERM and SIGHUP, and a closed stdout. Set up once, when firm starts: SIGPIPE is
/// ignored (a write to a closed pipe fails with EPIPE instead), the three signals are caught.
/// Outside an apply a signal exits at once (the journal is always consistent and the OS
/// releases the lock). During an apply the first signal, or the first write to a closed
/// stdout, stops new actions from starting and lets running ones finish for a grace period,
/// then cancels them (Swift task cancellation, which drivers see as CloudShell's cancellation
/// context); the state is saved and the lock released. A second signal exits at once, except
/// where the apply gave a release (a reconcile replica's leases): then it runs the release for
/// at most a second and exits, and a third signal exits at once.
final class Signals: Sendable {
    static let shared = Signals()
    private let state = Mutex(State())

    private struct State {
        var installed = false
        var sources: [any DispatchSourceSignal] = []
        var stop: StopFlag?
        var grace: Duration = .seconds(10)
        var onGraceExpired: (@Sendable () -> Void)?
        /// What a second signal runs before the exit (a bounded release of leases).
        var onSecondSignal: (@Sendable () async -> Void)?
        /// The signal that stopped the run (SIGPIPE stands for a closed stdout).
        var received: Int32?
        /// Signals received so far (a closed stdout counts once).
        var count = 0
        var exiting = false
    }

    /// Installs the handlers; later calls do nothing.
    func install() {
        state.withLock { state in
            guard !state.installed else { return }
            state.installed = true
            signal(SIGPIPE, SIG_IGN)
            for sig in [SIGINT, SIGTERM, SIGHUP] {
                signal(sig, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
                source.setEventHandler { [unowned self] in self.handle(sig) }
                source.resume()
                state.sources.append(source)
            }
        }
    }

    static func name(_ sig: Int32) -> String {
        switch sig {
        case SIGINT: "SIGINT"
        case SIGTERM: "SIGTERM"
        case SIGHUP: "SIGHUP"
        default: "a closed stdout"
        }
    }

    /// Called when a write to stdout finds it closed: stops an apply gracefully, like a signal,
    /// and exits at once outside one.
    func outputClosed() {
        handle(SIGPIPE)
    }

    /// How long a second signal's release may take before firm exits anyway.
    static let releaseBound: Duration = .seconds(1)

    private func handle(_ sig: Int32) {
        let (stop, first, count, grace, release) = state.withLock { state in
            let first = state.received == nil
            if first { state.received = sig }
            if sig != SIGPIPE || first { state.count += 1 }
            return (state.stop, first, state.count, state.grace, state.onSecondSignal)
        }
        if sig == SIGPIPE && !first { return }
        if count == 2, stop != nil, let release {
            Terminal.err("\nfirm: \(Self.name(sig)) received again: releasing this replica's leases (at most \(DurationText.format(Self.releaseBound))), then exiting; "
                         + "signal a third time to exit at once.")
            Task.detached { [self] in
                await release()
                exitNow(sig)
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(Self.releaseBound.nanoseconds))) { [self] in exitNow(sig) }
            return
        }
        guard let stop, first else { exitNow(sig) }
        stop.set()
        Terminal.err("\nfirm: \(Self.name(sig)) received: starting nothing new; running actions get \(DurationText.format(grace)) to finish, then are cancelled (signal again to exit at once).")
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(grace.nanoseconds))) { [self] in
            let expire = state.withLock { $0.stop === stop ? $0.onGraceExpired : nil }
            expire?()
        }
    }

    /// Exits at once (once, whichever path comes first), saying the next run recovers.
    private func exitNow(_ sig: Int32) -> Never {
        let first = state.withLock { state in
            defer { state.exiting = true }
            return !state.exiting
        }
        if first {
            Terminal.err("\nfirm: stopped by \(Self.name(sig)); the next run recovers anything in flight.")
            Terminal.flushBeforeExit()
            _exit(128 + sig)
        }
        while true { pause() }
    }

    /// Marks the start of the part of an apply that stops gracefully: `onGraceExpired` runs
    /// `grace` after the first signal, if the apply is still running; `onSecondSignal` runs on a
    /// second signal, for at most `releaseBound`, before firm exits.
    func beginApply(_ stop: StopFlag, grace: Duration = .seconds(10), onGraceExpired: (@Sendable () -> Void)? = nil,
                    onSecondSignal: (@Sendable () async -> Void)? = nil) {
        let early = state.withLock { state in
            state.stop = stop
            state.grace = grace
            state.onGraceExpired = onGraceExpired
            state.onSecondSignal = onSecondSignal
            return state.received
        }
        if early != nil { stop.set() }
    }

    func endApply() {
        state.withLock { state in
            state.stop = nil
            state.onGraceExpired = nil
            state.onSecondSignal = nil
        }
    }

    /// The exit code for the signal received, if any.
    var exitCode: ExitCode? {
        switch state.withLock({ $0.received }) {
        case SIGINT: .interrupted
        case SIGTERM: .terminated
        case SIGHUP: .hangup
        case SIGPIPE: .outputClosed
        default: nil
        }
    }
}
