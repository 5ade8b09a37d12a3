import Foundation

/// Runs a command-line tool to its end (etcdctl, openssl): its exit status and what it printed,
/// stdout and stderr together. `environment` is added to the test's own.
package func runTool(_ path: String, _ arguments: [String], in directory: String? = nil, environment: [String: String] = [:]) throws -> (code: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let out = Pipe()
    process.standardOutput = out
    process.standardError = out
    try process.run()
    let box = ReadBox(out.fileHandleForReading)
    process.waitUntilExit()
    return (process.terminationStatus, box.text())
}
