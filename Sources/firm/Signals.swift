import Firmament
import Foundation

/// SIGINT and SIGTERM: outside an apply they exit at once (the journal is always consistent and
/// the OS releases the lock). During an apply the first one stops new actions from starting and
/// lets running ones finish, so the state is saved and the lock released; a second one exits
/// at once.
final class Signals: @unchecked Sendable {
    static let shared = Signals()
    private let lock = NSLock()
    private var sources: [any DispatchSourceSignal] = []
    private var stop: StopFlag?
    private(set) var received: Int32?

    func install() {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [unowned self] in self.handle(sig) }
            source.resume()
            sources.append(source)
        }
    }

    private func handle(_ sig: Int32) {
        lock.lock()
        let stop = self.stop
        let first = received == nil
        if first { received = sig }
        lock.unlock()
        guard let stop, first else {
            Terminal.err("\nfirm: stopped by \(sig == SIGINT ? "SIGINT" : "SIGTERM"); the next run recovers anything in flight.")
            _exit(128 + sig)
        }
        stop.set()
        Terminal.err("\nfirm: \(sig == SIGINT ? "SIGINT" : "SIGTERM") received: starting nothing new and waiting for running actions (signal again to exit at once).")
    }

    /// Marks the start of the part of an apply that stops gracefully.
    func beginApply(_ stop: StopFlag) {
        lock.lock()
        self.stop = stop
        let early = received
        lock.unlock()
        if early != nil { stop.set() }
    }

    func endApply() {
        lock.lock()
        stop = nil
        lock.unlock()
    }

    /// The exit code for the signal received, if any.
    var exitCode: ExitCode? {
        lock.lock()
        defer { lock.unlock() }
        switch received {
        case SIGINT: return .interrupted
        case SIGTERM: return .terminated
        default: return nil
        }
    }
}
