import Foundation
import Synchronization
import FirmBase
import FirmModel

/// Every driver process this firm started, so that none outlives it. A driver is asked to exit
/// by closing its stdin, and a well-behaved one does; one that hangs, or stopped reading, would
/// go on running after firm exits, orphaned. `stopAll()`, which `firm` runs before it exits,
/// closes every driver's stdin, gives them a moment, and then ends the rest with SIGTERM and,
/// if need be, SIGKILL.
public final class DriverProcesses: Sendable {
    static let shared = DriverProcesses()
    private let started = Mutex<[(process: DriverChild, stdin: DriverWriter)]>([])

    func add(_ process: DriverChild, stdin: DriverWriter) {
        started.withLock { started in
            started.removeAll { !$0.process.isRunning }
            started.append((process, stdin))
        }
    }

    /// Stops every driver still running: its stdin is closed, and what has not exited within
    /// `grace` (time to finish a call it is still making) gets SIGTERM, and what has not exited
    /// a second after that, SIGKILL. A driver that exits on end of input, as drivers must, costs
    /// only the moment it takes to exit.
    public static func stopAll(grace: Duration = .seconds(2)) async {
        let drivers = shared.started.withLock { $0 }
        var running = drivers.filter { $0.process.isRunning }
        guard !running.isEmpty else { return }
        for driver in running { driver.stdin.abandon() }
        for (signal, wait) in [(SIGTERM, grace), (SIGKILL, Duration.seconds(1))] {
            let deadline = ContinuousClock.now + wait
            while !running.isEmpty, ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(5))
                running.removeAll { !$0.process.isRunning }
            }
            for driver in running { driver.process.signal(signal) }
        }
    }
}
