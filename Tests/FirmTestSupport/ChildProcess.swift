import Foundation

/// What a program run to its end wrote, and how it exited.
package struct ChildOutput: Sendable {
    package var status: Int32
    package var stdout: String
    package var stderr: String
}

/// Runs `executable` with `arguments` to its end, reading stdout and stderr on threads of their
/// own; `environment` replaces the runner's when given.
package func runChild(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> ChildOutput {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let outBox = ReadBox(out.fileHandleForReading), errBox = ReadBox(err.fileHandleForReading)
    try process.run()
    process.waitUntilExit()
    return ChildOutput(status: process.terminationStatus, stdout: outBox.text(), stderr: errBox.text())
}
