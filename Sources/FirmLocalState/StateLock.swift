import Foundation
import Synchronization
import FirmBase
import FirmModel

/// The exclusive lock on one state: an open-file-description lock (`F_OFD_SETLK`) on
/// `<state>.lock`, which the operating system releases when the holder dies, so a `kill -9`
/// never leaves a stale lock. The file holds the holder's `LockInfo` so that a second caller
/// can say who holds it. Readers never take it: they probe it with `F_OFD_GETLK`, which
/// can't make a writer's attempt fail.
public final class StateLock: Sendable {
    public let info: LockInfo
    public let path: String
    private let fd: Int32
    private let released = Mutex(false)

    private init(fd: Int32, path: String, info: LockInfo) {
        self.fd = fd
        self.path = path
        self.info = info
    }

    /// Takes the lock for `operation`, waiting up to `timeout` (nil: fail at once). The wait
    /// sleeps as a task; no thread is parked.
    public static func acquire(_ paths: StatePaths, operation: String, timeout: Duration? = nil) async throws -> StateLock {
        try FileIO.makeDirectory(paths.directory)
        let fd = open(paths.lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        if fd < 0 { throw StateError.io(location: paths.lock, reason: "cannot open the lock file: \(FileErrors.errno(errno))") }
        let deadline = ContinuousClock.now + (timeout ?? .zero)
        while true {
            var request = OFDLock.request(F_WRLCK)
            if fcntl(fd, OFDLock.set, &request) == 0 { break }
            let code = errno
            if code != EAGAIN && code != EACCES && code != EINTR {
                close(fd)
                throw StateError.io(location: paths.lock, reason: "cannot lock: \(FileErrors.errno(code))")
            }
            if ContinuousClock.now >= deadline {
                let holder = await liveHolder(paths.lock)
                close(fd)
                throw StateError.locked(location: paths.snapshot, holder: holder)
            }
            do {
                try await Task.sleep(for: min(.milliseconds(50), deadline - ContinuousClock.now))
            } catch {
                close(fd)
                throw error
            }
        }
        let info = LockInfo(id: UUIDText.random(), operation: operation, who: "\(userName())@\(ProcessInfo.processInfo.hostName)",
                            pid: getpid(), created: Timestamp.now(), version: FirmamentVersion.current)
        // Written over what is there, then cut to its length: the file is never empty between two
        // holders' information.
        let bytes = JSONWriter(pretty: true).bytes(info.json)
        _ = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        ftruncate(fd, off_t(bytes.count))
        return StateLock(fd: fd, path: paths.lock, info: info)
    }

    /// Who holds the lock, read for a caller that lost the race for it. The winner writes who it
    /// is just after it takes the lock, so for a moment the file can hold nothing readable, or
    /// the previous holder, whose process is gone: the information is read again for up to half
    /// a second until it names a live process. Nil when it never does.
    static func liveHolder(_ path: String, within limit: Duration = .milliseconds(500)) async -> LockInfo? {
        let deadline = ContinuousClock.now + limit
        while true {
            if let info = (try? readInfo(path)) ?? nil, kill(info.pid, 0) == 0 || errno == EPERM { return info }
            if ContinuousClock.now >= deadline { return nil }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Whether some process holds the lock right now. Takes nothing.
    public static func isHeld(_ paths: StatePaths) -> Bool {
        let fd = open(paths.lock, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var probe = OFDLock.request(F_WRLCK)
        guard fcntl(fd, OFDLock.get, &probe) == 0 else { return false }
        return probe.l_type != Int16(F_UNLCK)
    }

    /// Who holds the lock at `path`, if anyone wrote it down; throws when the file is damaged.
    public static func readInfo(_ path: String) throws(StateError) -> LockInfo? {
        guard let bytes = try FileIO.read(path, limit: 64 << 10), !bytes.isEmpty else { return nil }
        let node: JSONNode
        do { node = try JSONReader.parse(bytes, maxDepth: 8) } catch {
            throw .corrupt(location: path, reason: "\(error.position): \(error.message)")
        }
        var context = DecodingContext(file: path)
        guard let info = LockInfo.decode(node, &context), context.diagnostics.isEmpty else {
            throw .corrupt(location: path, reason: context.diagnostics.map(\.description).joined(separator: "; "))
        }
        return info
    }

    /// Breaks the lock `id` if nobody holds it any more. A local lock is one the OS releases
    /// when its holder dies, so a held one belongs to a live process and is refused.
    public static func forceUnlock(_ paths: StatePaths, id: String) throws(StateError) -> ForceUnlockResult {
        let info: LockInfo?
        do { info = try readInfo(paths.lock) } catch { info = nil }
        if let info, info.id != id {
            throw .io(location: paths.lock, reason: "the lock id is \(info.id), not \(id); nothing was changed")
        }
        let fd = open(paths.lock, O_RDWR | O_CLOEXEC | O_NOFOLLOW)
        if fd < 0 { return .cleared(nil) }
        defer { close(fd) }
        var request = OFDLock.request(F_WRLCK)
        guard fcntl(fd, OFDLock.set, &request) == 0 else {
            throw .locked(location: paths.snapshot, holder: info)
        }
        ftruncate(fd, 0)
        return .cleared(info)
    }

    /// Releases the lock. Idempotent: a second call does nothing, so it can never close a
    /// descriptor that was reused meanwhile.
    public func release() {
        let first = released.withLock { released in
            defer { released = true }
            return !released
        }
        guard first else { return }
        ftruncate(fd, 0)
        close(fd)
    }

    private static func userName() -> String {
        ProcessInfo.processInfo.environment["USER"] ?? ProcessInfo.processInfo.environment["LOGNAME"] ?? "uid\(getuid())"
    }
}

/// Open-file-description locks over the whole file.
enum OFDLock {
    #if os(Linux)
    static let get: Int32 = 36  // F_OFD_GETLK
    static let set: Int32 = 37  // F_OFD_SETLK
    #else
    static let get: Int32 = F_GETLK
    static let set: Int32 = F_SETLK
    #endif

    static func request(_ type: Int32) -> flock {
        var request = flock()
        request.l_type = Int16(type)
        request.l_whence = Int16(SEEK_SET)
        request.l_start = 0
        request.l_len = 0
        return request
    }
}
