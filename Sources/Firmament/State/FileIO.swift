import Foundation

/// Low-level file operations with the durability the state needs.
public enum FileIO {
    /// Reads a whole file; nil when it does not exist.
    public static func read(_ path: String) throws(StateError) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw .io(file: path, reason: "cannot open: \(FileErrors.errno(errno))")
        }
        defer { close(fd) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(file: path, reason: "cannot read: \(FileErrors.errno(errno))")
            }
            if n == 0 { return result }
            result.append(contentsOf: chunk[0..<n])
        }
    }

    /// Writes all of `bytes` to `fd`.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(StateError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(file: path, reason: "cannot write: \(FileErrors.errno(errno))")
            }
            offset += n
        }
    }

    /// Replaces `path` atomically: a temp file in the same folder, fsync, rename, fsync of the
    /// folder. The file gets `mode` (0600 by default).
    public static func atomicWrite(_ bytes: [UInt8], to path: String, mode: mode_t = 0o600) throws(StateError) {
        let temp = path + ".tmp-\(getpid())-\(UUIDText.hex(6))"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        if fd < 0 { throw .io(file: path, reason: "cannot create \(temp): \(FileErrors.errno(errno))") }
        do throws(StateError) {
            try writeAll(fd, bytes, path: temp)
            fchmod(fd, mode)
            if fsync(fd) != 0 { throw StateError.io(file: temp, reason: "fsync failed: \(FileErrors.errno(errno))") }
            close(fd)
        } catch {
            close(fd)
            unlink(temp)
            throw error
        }
        if rename(temp, path) != 0 {
            let reason = FileErrors.errno(errno)
            unlink(temp)
            throw .io(file: path, reason: "cannot rename into place: \(reason)")
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
            throw .io(file: path, reason: "cannot create the folder: \(FileErrors.reason(error))")
        }
    }

    public static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }
}
