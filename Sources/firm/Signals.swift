import Foundation
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
/// context); the state is saved and the lock released. A second signal exits at once.
final class Signals: @unchecked Sendable {
    static let shared = Signals()
    private let lock = NSLock()
    private var installed = false
    private var sources: [any DispatchSourceSignal] = []
    private var stop: StopFlag?
    private var grace: Duration = .seconds(10)
    private var onGraceExpired: (@Sendable () -> Void)?
    /// The signal that stopped the run (SIGPIPE stands for a closed stdout).
    private(set) var received: Int32?

    /// Installs the handlers; later calls do nothing.
    func install() {
        lock.lock()
        defer { lock.unlock() }
        guard !installed else { return }
        installed = true
        signal(SIGPIPE, SIG_IGN)
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [unowned self] in self.handle(sig) }
            source.resume()
            sources.append(source)
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

    private func handle(_ sig: Int32) {
        lock.lock()
        let stop = self.stop
        let first = received == nil
        let grace = self.grace
        if first { received = sig }
        lock.unlock()
        if sig == SIGPIPE && !first { return }
        guard let stop, first else {
            Terminal.err("\nfirm: stopped by \(Self.name(sig)); the next run recovers anything in flight.")
            _exit(128 + sig)
        }
        stop.set()
        Terminal.err("\nfirm: \(Self.name(sig)) received: starting nothing new; running actions get \(DurationText.format(grace)) to finish, then are cancelled (signal again to exit at once).")
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(grace.nanoseconds))) { [self] in
            lock.lock()
            let expire = self.stop === stop ? onGraceExpired : nil
            lock.unlock()
            expire?()
        }
    }

    /// Marks the start of the part of an apply that stops gracefully: `onGraceExpired` runs
    /// `grace` after the first signal, if the apply is still running.
    func beginApply(_ stop: StopFlag, grace: Duration = .seconds(10), onGraceExpired: (@Sendable () -> Void)? = nil) {
        lock.lock()
        self.stop = stop
        self.grace = grace
        self.onGraceExpired = onGraceExpired
        let early = received
        lock.unlock()
        if early != nil { stop.set() }
    }

    func endApply() {
        lock.lock()
        stop = nil
        onGraceExpired = nil
        lock.unlock()
    }

    /// The exit code for the signal received, if any.
    var exitCode: ExitCode? {
        lock.lock()
        defer { lock.unlock() }
        switch received {
        case SIGINT: return .interrupted
        case SIGTERM: return .terminated
        case SIGHUP: return .hangup
        case SIGPIPE: return .outputClosed
        default: return nil
        }
    }
}
