import Foundation
import Synchronization
import FirmBase

/// A driver's process, started with `posix_spawn` (`ChildSpawn`) rather than Foundation's
/// `Process`, whose `run()` on Linux can crash firm while it lists /proc/self/fd
/// (swift-corelibs-foundation#5472). It runs as `/usr/bin/env -C FOLDER -- COMMAND…`, so that it
/// starts in the blueprint's home folder with firm's environment. Nothing reaps it behind
/// firm's back: `isRunning` reaps it when it has ended and keeps how.
final class DriverChild: Sendable {
    let pid: pid_t
    /// The wait status once the child was reaped.
    private let ended = Mutex<Int32?>(nil)

    private init(pid: pid_t) {
        self.pid = pid
    }

    /// Starts `command` in `folder`, with new pipes for its stdin, stdout and stderr; the ends
    /// firm keeps: stdin's write end, stdout's and stderr's read ends.
    static func start(_ command: [String], in folder: String) throws -> (child: DriverChild, stdin: Int32, stdout: Int32, stderr: Int32) {
        let input = try ChildSpawn.pipe()
        var opened = [input.read, input.write]
        do {
            let output = try ChildSpawn.pipe()
            opened += [output.read, output.write]
            let errors = try ChildSpawn.pipe()
            opened += [errors.read, errors.write]
            let child = try ChildSpawn.spawn("/usr/bin/env", ["-C", folder, "--"] + command, environment: ProcessInfo.processInfo.environment,
                                             stdin: input.read, stdout: output.write, stderr: errors.write)
            for fd in [input.read, output.write, errors.write] { close(fd) }
            return (DriverChild(pid: child.pid), input.write, output.read, errors.read)
        } catch {
            for fd in opened { close(fd) }
            throw error
        }
    }

    /// Whether the child still runs; reaps it once it has ended.
    var isRunning: Bool {
        ended.withLock { ended in
            guard ended == nil else { return false }
            var status: Int32 = 0
            var answer: pid_t
            repeat { answer = waitpid(pid, &status, WNOHANG) } while answer == -1 && errno == EINTR
            if answer == pid {
                ended = status
                return false
            }
            // Not ours to wait for (reaped elsewhere): it is gone.
            if answer == -1 {
                ended = -1
                return false
            }
            return true
        }
    }

    func signal(_ signal: Int32) {
        // Never a pid that was reaped and may belong to another process by now.
        ended.withLock { ended in
            if ended == nil { _ = kill(pid, signal) }
        }
    }

    /// How it ended ("exited with status 3", "was killed by signal 9"); nil while it runs.
    var ending: String? {
        guard !isRunning, let status = ended.withLock({ $0 }) else { return nil }
        if status == -1 { return "exited" }
        switch SpawnedChild.ending(status) {
        case .exited(let code): return "exited with status \(code)"
        case .killed(let signal): return "was killed by signal \(signal)"
        }
    }
}
