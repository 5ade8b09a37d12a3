import Foundation

/// The exclusive lock on one state: an flock on `<state>.lock`, which the operating system
/// releases when the holder dies, so a `kill -9` never leaves a stale lock. The file holds the
/// holder's `LockInfo` so that a second caller can say who holds it.
public final class StateLock: Sendable {
    public let info: LockInfo
    public let path: String
    private let fd: Int32

    private init(fd: Int32, path: String, info: LockInfo) {
        self.fd = fd
        self.path = path
        self.info = info
    }

    /// Takes the lock for `operation`, waiting up to `timeout` (nil: fail at once).
    public static func acquire(_ paths: StatePaths, operation: String, timeout: Duration? = nil) throws(StateError) -> StateLock {
        try FileIO.makeDirectory(paths.directory)
        let fd = open(paths.lock, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        if fd < 0 { throw .io(file: paths.lock, reason: "cannot open the lock file: \(FileErrors.errno(errno))") }
        let deadline = ContinuousClock.now + (timeout ?? .zero)
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            if errno != EWOULDBLOCK && errno != EINTR {
                let reason = FileErrors.errno(errno)
                close(fd)
                throw .io(file: paths.lock, reason: "cannot lock: \(reason)")
            }
            if ContinuousClock.now >= deadline {
                let holder = readInfo(paths.lock)
                close(fd)
                throw .locked(file: paths.snapshot, holder: holder)
            }
            usleep(50_000)
        }
        let info = LockInfo(id: UUIDText.random(), operation: operation, who: "\(userName())@\(ProcessInfo.processInfo.hostName)",
                            pid: getpid(), created: Timestamp.now(), version: FirmamentVersion.current)
        ftruncate(fd, 0)
        let bytes = JSONWriter(pretty: true).bytes(info.json)
        _ = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        return StateLock(fd: fd, path: paths.lock, info: info)
    }

    /// Whether some process holds the lock right now.
    public static func isHeld(_ paths: StatePaths) -> Bool {
        let fd = open(paths.lock, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        if flock(fd, LOCK_EX | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return false
        }
        return errno == EWOULDBLOCK
    }

    /// Who holds the lock at `path`, if anyone wrote it down.
    public static func readInfo(_ path: String) -> LockInfo? {
        guard let bytes = try? FileIO.read(path), let node = try? JSONReader.parse(bytes) else { return nil }
        return LockInfo(node.plain)
    }

    /// What `force-unlock` found.
    public enum ForceUnlockResult: Sendable, Equatable {
        /// The lock was not held; its leftover holder information was cleared.
        case cleared(LockInfo?)
    }

    /// Breaks the lock `id` if nobody holds it any more. A local lock is an flock that the OS
    /// releases when its holder dies, so a held one belongs to a live process and is refused.
    public static func forceUnlock(_ paths: StatePaths, id: String) throws(StateError) -> ForceUnlockResult {
        let info = readInfo(paths.lock)
        if let info, info.id != id {
            throw .io(file: paths.lock, reason: "the lock id is \(info.id), not \(id); nothing was changed")
        }
        let fd = open(paths.lock, O_RDWR | O_CLOEXEC)
        if fd < 0 { return .cleared(nil) }
        defer { close(fd) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            throw .locked(file: paths.snapshot, holder: info)
        }
        ftruncate(fd, 0)
        flock(fd, LOCK_UN)
        return .cleared(info)
    }

    /// Releases the lock. Idempotent in effect: closing the descriptor releases the flock.
    public func release() {
        ftruncate(fd, 0)
        flock(fd, LOCK_UN)
        close(fd)
    }

    private static func userName() -> String {
        ProcessInfo.processInfo.environment["USER"] ?? ProcessInfo.processInfo.environment["LOGNAME"] ?? "uid\(getuid())"
    }
}

/// The version of Firmament.
public enum FirmamentVersion {
    public static let current = "0.1.0"
}
