import Foundation
import FirmBase

/// What a command run to its end said.
struct CommandOutput: Sendable {
    var status: Int32
    var stdout: [UInt8]
    var stderr: String
}

/// Runs `ip` (and the few other programs the provider needs) as child processes. Its callers
/// wait for each on a serial Dispatch queue, never on the cooperative pool. Output is bounded,
/// and a command that runs past its time limit is killed.
enum KernelCommand {
    /// More output than this is an error, not a bigger buffer.
    static let maxOutput = 32 << 20
    static let timeLimit: TimeInterval = 60

    /// Runs `executable` with `arguments` to its end, writing `input` to its stdin. It blocks:
    /// callers run it on a serial Dispatch queue (`LinuxProvider.kernel`). The child is started
    /// with `posix_spawn` (`ChildSpawn`), not Foundation's `Process`, whose `run()` can crash.
    static func runBlocking(_ executable: String, _ arguments: [String], input: String?) throws -> CommandOutput {
        var environment = ProcessInfo.processInfo.environment
        environment["LC_ALL"] = "C"
        // Every descriptor opened so far is closed if a later step fails.
        var opened: [Int32] = []
        let out: (read: Int32, write: Int32), err: (read: Int32, write: Int32), stdin: (read: Int32, write: Int32)
        let child: SpawnedChild
        do {
            out = try ChildSpawn.pipe()
            opened += [out.read, out.write]
            err = try ChildSpawn.pipe()
            opened += [err.read, err.write]
            stdin = input == nil ? (try ChildSpawn.nullInput(), -1) : try ChildSpawn.pipe()
            opened += [stdin.read, stdin.write].filter { $0 >= 0 }
            child = try ChildSpawn.spawn(executable, arguments, environment: environment, stdin: stdin.read, stdout: out.write, stderr: err.write)
        } catch {
            for fd in opened { close(fd) }
            throw error
        }
        // The child holds its own copies: firm keeps only the ends it reads and writes.
        close(out.write); close(err.write); close(stdin.read)
        let errors = Locked<[UInt8]>([])
        let group = DispatchGroup()
        group.enter()
        Thread.detachNewThread {
            let data = ChildSpawn.drain(err.read, limit: 4096)
            errors.withLock { $0 = data }
            group.leave()
        }
        if let input {
            let writer = stdin.write
            group.enter()
            Thread.detachNewThread {
                ChildSpawn.writeAll(Array(input.utf8), to: writer)
                close(writer)
                group.leave()
            }
        }
        // A command past its time limit is ended; once it has been waited for, its pid may be
        // another process's, so the timer checks that it is still running first.
        let ended = Locked(false)
        let timer = DispatchWorkItem { ended.withLock { if !$0 { child.signal(SIGTERM) } } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeLimit, execute: timer)
        let output = ChildSpawn.drain(out.read, limit: maxOutput)
        close(out.read)
        let status = child.wait(beforeReaping: { ended.withLock { $0 = true } })
        timer.cancel()
        group.wait()
        close(err.read)
        if output.count > maxOutput {
            throw KernelError.output("\(executable) wrote more than \(maxOutput) bytes")
        }
        let stderr = errors.withLock { $0 }
        return CommandOutput(status: status, stdout: output,
                             stderr: String(decoding: stderr.prefix(4096), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

/// A command's failure, or an answer that is not what `ip -json` writes.
enum KernelError: Error, CustomStringConvertible {
    case output(String)
    case failed(command: String, status: Int32, stderr: String)

    var description: String {
        switch self {
        case .output(let message): message
        case .failed(let command, let status, let stderr): "\(command) exited with status \(status)" + (stderr.isEmpty ? "" : ": \(stderr)")
        }
    }
}
