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
    /// callers run it on a serial Dispatch queue (`LinuxProvider.kernel`).
    static func runBlocking(_ executable: String, _ arguments: [String], input: String?) throws -> CommandOutput {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["LC_ALL"] = "C"
        process.environment = environment
        let out = Pipe(), err = Pipe(), stdin = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input == nil ? FileHandle.nullDevice : stdin
        try process.run()
        let errors = Locked<[UInt8]>([])
        let group = DispatchGroup()
        group.enter()
        Thread.detachNewThread {
            let data = drain(err.fileHandleForReading)
            errors.withLock { $0 = data }
            group.leave()
        }
        if let input {
            let writer = stdin.fileHandleForWriting
            Thread.detachNewThread {
                try? writer.write(contentsOf: Data(input.utf8))
                try? writer.close()
            }
        }
        let timer = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeLimit, execute: timer)
        let output = drain(out.fileHandleForReading)
        process.waitUntilExit()
        timer.cancel()
        group.wait()
        if output.count > maxOutput {
            throw KernelError.output("\(executable) wrote more than \(maxOutput) bytes")
        }
        let stderr = errors.withLock { $0 }
        return CommandOutput(status: process.terminationStatus, stdout: output,
                             stderr: String(decoding: stderr.prefix(4096), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Reads to the end, keeping at most `maxOutput + 1` bytes.
    private static func drain(_ handle: FileHandle) -> [UInt8] {
        var bytes: [UInt8] = []
        while let chunk = try? handle.read(upToCount: 65_536), !chunk.isEmpty {
            if bytes.count <= maxOutput { bytes += chunk.prefix(maxOutput + 1 - bytes.count) }
        }
        return bytes
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
