import Foundation
import FirmBase

/// Low-level file operations with the durability the state needs.
public enum FileIO {
    /// The largest state, journal or plan file read: far above 100,000 apps, far below memory.
    public static let stateLimit = 1 << 30

    /// Reads a whole state file; nil when it does not exist.
    public static func read(_ path: String, limit: Int = stateLimit) throws(StateError) -> [UInt8]? {
        do {
            return try readRegular(path, limit: limit)
        } catch .missing {
            return nil
        } catch {
            throw .io(location: path, reason: error.description)
        }
    }

    /// Reads a whole regular file of at most `limit` bytes. Its type and size are checked before
    /// any byte is read, so a FIFO, a device or a huge file fails at once and says what it is;
    /// a file that grows while it is read stops at the limit.
    public static func readRegular(_ path: String, limit: Int) throws(FileReadProblem) -> [UInt8] {
        // O_NONBLOCK: opening a FIFO must not wait for a writer.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        if fd < 0 {
            let code = errno
            if code == ENOENT { throw .missing }
            throw .failed("cannot open: \(FileErrors.errno(code))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .failed("cannot stat: \(FileErrors.errno(errno))") }
        let type = info.st_mode & S_IFMT
        guard type == S_IFREG else { throw .notRegular(FileReadProblem.kind(type)) }
        if info.st_size > limit { throw .tooLarge(size: Int(info.st_size), limit: limit) }
        var result: [UInt8] = []
        result.reserveCapacity(Int(info.st_size))
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw .failed("cannot read: \(FileErrors.errno(errno))")
            }
            if n == 0 { return result }
            if result.count + n > limit { throw .tooLarge(size: result.count + n, limit: limit) }
            result.append(contentsOf: chunk[0..<n])
        }
    }

    /// Writes all of `bytes` to `fd`.
    package static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(StateError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(location: path, reason: "cannot write: \(FileErrors.errno(errno))")
            }
            offset += n
        }
    }

    /// Replaces `path` atomically: a temp file in the same folder, fsync, rename, fsync of the
    /// folder. The file gets `mode` (0600 by default).
    public static func atomicWrite(_ bytes: [UInt8], to path: String, mode: mode_t = 0o600) throws(StateError) {
        let temp = path + ".tmp-\(getpid())-\(UUIDText.hex(6))"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        if fd < 0 { throw .io(location: path, reason: "cannot create \(temp): \(FileErrors.errno(errno))") }
        do throws(StateError) {
            try writeAll(fd, bytes, path: temp)
            fchmod(fd, mode)
            if fsync(fd) != 0 { throw StateError.io(location: temp, reason: "fsync failed: \(FileErrors.errno(errno))") }
            close(fd)
        } catch {
            close(fd)
            unlink(temp)
            throw error
        }
        if rename(temp, path) != 0 {
            let reason = FileErrors.errno(errno)
            unlink(temp)
            throw .io(location: path, reason: "cannot rename into place: \(reason)")
        }
        syncDirectory(of: path)
    }

    /// fsyncs the folder holding `path`, so that a rename in it is durable.
    public static func syncDirectory(of path: String) {
        let dir = (path as NSString).deletingLastPathComponent
        let fd = open(dir.isEmpty ? "." : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }

    /// Creates `path` and its parents as folders (mode 0700 for new ones).
    public static func makeDirectory(_ path: String) throws(StateError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw .io(location: path, reason: "cannot create the folder: \(FileErrors.reason(error))")
        }
    }

    public static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }
}

/// Why a file could not be read whole.
public enum FileReadProblem: Error, Equatable, CustomStringConvertible {
    case missing
    /// A directory, FIFO, device or socket: what it is, in words.
    case notRegular(String)
    case tooLarge(size: Int, limit: Int)
    case failed(String)

    public var description: String {
        switch self {
        case .missing: "no such file"
        case .notRegular(let kind): "it is \(kind), not a regular file"
        case .tooLarge(let size, let limit): "it is \(size) bytes or more; the limit is \(limit)"
        case .failed(let reason): reason
        }
    }

    static func kind(_ type: mode_t) -> String {
        switch type {
        case S_IFDIR: "a directory"
        case S_IFIFO: "a FIFO (named pipe)"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFSOCK: "a socket"
        default: "not a regular file"
        }
    }
}
