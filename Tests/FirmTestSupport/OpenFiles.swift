import Foundation

/// The files that process `pid`'s descriptors have open, by path: what a test waits on to know
/// that a process (or this one, by default) has come to a file, such as a lock it then polls.
/// Read from Linux's /proc; empty where there is none.
package func openFiles(of pid: Int32 = getpid()) -> [String] {
    let folder = "/proc/\(pid)/fd"
    return ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).compactMap {
        try? FileManager.default.destinationOfSymbolicLink(atPath: folder + "/" + $0)
    }
}

/// `path` with its symbolic links resolved, as `openFiles` names it.
package func realPath(_ path: String) -> String {
    URL(fileURLWithPath: path).resolvingSymlinksInPath().path
}
