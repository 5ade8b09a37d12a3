import Foundation

/// Path arithmetic for messages and saved plans.
public enum FilePaths {
    /// `path` made absolute against the current folder, with `.` and `..` parts resolved
    /// lexically (symbolic links are left alone).
    public static func absolute(_ path: String, base: String = FileManager.default.currentDirectoryPath) -> String {
        let joined = path.hasPrefix("/") ? path : base + "/" + path
        var parts: [Substring] = []
        for part in joined.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..": _ = parts.popLast()
            default: parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }
}
