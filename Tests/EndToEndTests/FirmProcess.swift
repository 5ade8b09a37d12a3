import Foundation
@testable import FirmBase
@testable import FirmModel
@testable import FirmPlanning
@testable import FirmExecution
@testable import FirmSimulated
@testable import FirmProcess
@testable import FirmEC2
@testable import FirmLocalState
@testable import FirmEtcdState
@testable import FirmSession
@testable import FirmDrift
@testable import Firmament
import FirmTestSupport

/// Runs the built `firm` binary in a temp folder.
struct FirmProcess {
    struct Result {
        var code: Int32
        var stdout: String
        var stderr: String
        var output: String { stdout + stderr }
    }

    /// The `firm` binary next to the test bundle, or $FIRM_BIN.
    static let binary: String = ProcessInfo.processInfo.environment["FIRM_BIN"] ?? builtProduct("firm")

    /// The folder it runs in, a fresh temp folder.
    let folder = TempDirectory()
    var directory: String { folder.path }

    func remove() { folder.remove() }

    func path(_ name: String) -> String { folder.file(name) }
    func write(_ name: String, _ text: String) { folder.write(name, text) }
    func read(_ name: String) -> String? { folder.read(name) }
    func exists(_ name: String) -> Bool { folder.exists(name) }

    /// Starts firm without waiting.
    /// `unset` removes variables the test runner may have, so a test of a missing one can't
    /// pass or fail by the runner's environment.
    /// `folder` is where it runs, relative to the test's folder (default: the test's folder).
    /// FIRM_SANDBOX and FIRM_STATE from the runner's environment are never passed on.
    func start(_ arguments: [String], environment: [String: String] = [:], unset: [String] = [], in folder: String? = nil) throws -> (Process, Pipe, Pipe) {
        BlueprintSamples.keep(arguments, in: folder.map(path) ?? directory)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: folder.map(path) ?? directory)
        var env = ProcessInfo.processInfo.environment
        env["FIRM_SANDBOX"] = nil
        env["FIRM_STATE"] = nil
        for (k, v) in environment { env[k] = v }
        for k in unset { env[k] = nil }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return (process, out, err)
    }

    /// Runs firm to the end.
    @discardableResult
    func run(_ arguments: [String], environment: [String: String] = [:], unset: [String] = [], in folder: String? = nil) throws -> Result {
        let (process, out, err) = try start(arguments, environment: environment, unset: unset, in: folder)
        let outData = ReadBox(out.fileHandleForReading), errData = ReadBox(err.fileHandleForReading)
        process.waitUntilExit()
        return Result(code: process.terminationStatus, stdout: outData.text(), stderr: errData.text())
    }
}

extension Process {
    /// Waits for the child to exit, for at most `limit`; kills it after that. Returns whether
    /// it exited by itself. Safe to read `terminationStatus` afterwards either way.
    func waitUntilExit(limit: Duration) -> Bool {
        let exited = waitUntil(limit) { !isRunning }
        if !exited {
            kill(processIdentifier, SIGKILL)
            waitUntilExit()
        }
        return exited
    }
}

extension FirmProcess {
    /// The pids of driver processes still running in this folder, after giving them a few
    /// seconds to go: processes whose working directory it is and whose command names a driver.
    func driversLeft() -> [String] {
        let folder = URL(fileURLWithPath: directory).resolvingSymlinksInPath().path
        var left: [String] = []
        waitUntil(.seconds(3)) {
            left = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).filter { pid in
                guard pid.allSatisfy(\.isNumber), let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd"),
                    cwd == folder, let command = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline")
                else { return false }
                return String(decoding: command, as: UTF8.self).contains("driver")
            }
            return left.isEmpty
        }
        return left
    }
}
