import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process started by `ChildSpawn`.
public struct SpawnedChild: Sendable {
    public let pid: pid_t

    /// Waits for the child to end (blocking: call it off the cooperative pool) and returns its
    /// exit status, or 128 + the signal that ended it, as a shell reports it.
    /// `beforeReaping` runs once the child has ended and before its pid is given back to the
    /// system, so that a timer that signals the child can stop in time to never hit another
    /// process with the same pid.
    public func wait(beforeReaping: () -> Void = {}) -> Int32 {
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) == -1 && errno == EINTR {}
        beforeReaping()
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            if errno != EINTR { return -1 }
        }
        return Self.ending(status).shellStatus
    }

    /// How a child ended, from the status `waitpid` gave.
    public enum Ending: Sendable, Equatable {
        case exited(Int32)
        case killed(signal: Int32)

        /// As a shell reports it: the exit status, or 128 + the signal.
        public var shellStatus: Int32 {
            switch self {
            case .exited(let status): status
            case .killed(let signal): 128 + signal
            }
        }
    }

    public static func ending(_ waitStatus: Int32) -> Ending {
        waitStatus & 0x7f == 0 ? .exited((waitStatus >> 8) & 0xff) : .killed(signal: waitStatus & 0x7f)
    }

    public func signal(_ signal: Int32) {
        _ = kill(pid, signal)
    }
}

/// Starts child processes with `posix_spawn`, instead of Foundation's `Process`: on Linux,
/// `Process.run()` in the Swift 6.3 toolchains reads past the end of a buffer while it lists
/// `/proc/self/fd`, and now and then crashes the whole program (fixed upstream by
/// swift-corelibs-foundation#5472). The child gets the three descriptors given as its stdin,
/// stdout and stderr and, where glibc has `posix_spawn_file_actions_addclosefrom_np` (2.34 and
/// later), none of firm's others; its signal mask is empty and SIGPIPE is back to its default.
public enum ChildSpawn {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// A pipe whose two ends are close-on-exec, so that no other child inherits them.
    public static func pipe() throws(Failure) -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        guard Glibc.pipe(&fds) == 0 else { throw Failure(description: "cannot make a pipe: \(FileErrors.errno(errno))") }
        // Swift's Glibc has no pipe2; a child spawned in between gets none of firm's descriptors
        // anyway where glibc can close them (addclosefrom).
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return (fds[0], fds[1])
    }

    /// `/dev/null` opened for reading, close-on-exec: a child's stdin when it is given none.
    public static func nullInput() throws(Failure) -> Int32 {
        let fd = open("/dev/null", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(description: "cannot open /dev/null: \(FileErrors.errno(errno))") }
        return fd
    }

    /// Starts `executable` (an absolute path) with `arguments` and exactly `environment`.
    public static func spawn(_ executable: String, _ arguments: [String], environment: [String: String],
                             stdin: Int32, stdout: Int32, stderr: Int32) throws(Failure) -> SpawnedChild {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        if let closeFrom { _ = closeFrom(&actions, 3) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard rc == 0 else { throw Failure(description: "cannot start \(executable): \(FileErrors.errno(rc))") }
        return SpawnedChild(pid: pid)
    }

    /// Reads `fd` to its end, keeping at most `limit + 1` bytes (so that more than `limit` shows).
    public static func drain(_ fd: Int32, limit: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            if bytes.count <= limit { bytes += buffer[0..<min(n, limit + 1 - bytes.count)] }
        }
        return bytes
    }

    /// Writes all of `bytes` to `fd`; a reader that went away ends it early (EPIPE).
    public static func writeAll(_ bytes: [UInt8], to fd: Int32) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return }
            offset += n
        }
    }

    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32
    /// glibc's `posix_spawn_file_actions_addclosefrom_np`, which Swift's Glibc module doesn't
    /// declare; nil on a glibc without it.
    private static let closeFrom: CloseFrom? = {
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: CloseFrom.self)
    }()
}
