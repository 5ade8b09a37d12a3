import Foundation
import FirmBase
import FirmModel
import FirmPlanning
import FirmExecution

/// Where a blueprint's sandboxes live: the nearest folder at or above the blueprint file that
/// holds a `state/` folder (as git finds `.git`), else the blueprint's own folder. The default
/// state (`state/<sandbox>.state.json`) and relative paths in provider settings (the simulated
/// cloud's world, a process driver's working folder) are taken from there, so one command gives
/// the same answer from any folder.
public enum SandboxHome {
    /// The home folder of the blueprint at `blueprintFile`, as an absolute path.
    public static func folder(forBlueprint blueprintFile: String) throws(SandboxError) -> String {
        try folder(from: (FilePaths.absolute(blueprintFile) as NSString).deletingLastPathComponent)
    }

    /// The home found from `directory` (default: the current folder) upwards: for commands that
    /// name a sandbox without its blueprint. A `state` that is a symbolic link to nothing is
    /// refused, naming it: passing it by would start an empty state elsewhere, and deploy every
    /// app again.
    public static func folder(from directory: String = FileManager.default.currentDirectoryPath) throws(SandboxError) -> String {
        let start = FilePaths.absolute(directory)
        var folder = start.isEmpty ? "/" : start
        while true {
            let candidate = folder + (folder.hasSuffix("/") ? "" : "/") + "state"
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), isDirectory.boolValue {
                return folder
            }
            if let target = danglingLink(candidate) { throw .danglingStateLink(candidate, target: target) }
            let parent = (folder as NSString).deletingLastPathComponent
            if parent == folder || parent.isEmpty { return start.isEmpty ? "/" : start }
            folder = parent
        }
    }

    /// Where `path` points, when it is a symbolic link whose target does not exist.
    static func danglingLink(_ path: String) -> String? {
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFLNK, stat(path, &info) != 0 else { return nil }
        return (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "?"
    }

    /// The sandbox name from `--sandbox`, else `FIRM_SANDBOX`, else the blueprint's name;
    /// a given name must follow the name rule.
    public static func sandbox(_ given: String?, blueprint: String, environment: Environment = .process) throws(SandboxError) -> String {
        if let given {
            guard Name.isValid(given) else { throw .invalidName(given, source: "--sandbox") }
            return given
        }
        if let fromEnvironment = environment["FIRM_SANDBOX"], !fromEnvironment.isEmpty {
            guard Name.isValid(fromEnvironment) else { throw .invalidName(fromEnvironment, source: "FIRM_SANDBOX") }
            return fromEnvironment
        }
        return blueprint
    }
}
