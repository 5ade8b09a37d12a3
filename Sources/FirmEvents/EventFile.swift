import Foundation
import Synchronization
import FirmBase

/// The file `--json-into FILE` writes the event stream to. Lines are written in order on a
/// serial queue of the file's own, never on the caller's thread; `close` waits for them. A
/// write that fails is kept and reported by `close`, and nothing more is written.
public final class EventFile: Sendable {
    public let path: String
    private let fd: Int32
    private let queue = DispatchQueue(label: "firm.events.file")
    private let failure = Mutex<String?>(nil)

    /// Creates (or empties) the file at `path`.
    public init(path: String) throws(EventFileError) {
        self.path = path
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw EventFileError(path: path, reason: String(cString: strerror(errno))) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG || (info.st_mode & S_IFMT) == S_IFIFO || (info.st_mode & S_IFMT) == S_IFCHR else {
            Foundation.close(fd)
            throw EventFileError(path: path, reason: "not a regular file, a pipe or a device")
        }
        self.fd = fd
    }

    /// Appends one line, soon.
    public func write(_ bytes: [UInt8]) {
        queue.async { [self] in
            guard failure.withLock({ $0 == nil }) else { return }
            var offset = 0
            while offset < bytes.count {
                let n = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else {
                    let reason = String(cString: strerror(errno))
                    failure.withLock { $0 = reason }
                    return
                }
                offset += n
            }
        }
    }

    /// Waits for every line to be written, and closes the file; the first write's failure, if any.
    public func close() async -> EventFileError? {
        await queue.perform { [self] in
            Foundation.close(fd)
            return failure.withLock { $0 }.map { EventFileError(path: path, reason: $0) }
        }
    }
}

/// The event file could not be opened or written.
public struct EventFileError: Error, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "cannot write the event stream to \(path): \(reason)" }
}
