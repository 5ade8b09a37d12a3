import Foundation
import FirmBase
import FirmModel

/// Writes to a driver's stdin on a thread of its own, so that a driver that stops reading can
/// never block the connection: requests are queued and the call returns at once, timeouts and
/// cancellation keep working, and closing never waits for a stuck write.
final class DriverWriter: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [[UInt8]] = []
    private var closed = false
    private let handle: FileHandle

    /// Takes over `handle` (the write end of the driver's stdin pipe) and closes it when done.
    init(_ handle: FileHandle) {
        self.handle = handle
        let fd = handle.fileDescriptor
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        let thread = Thread { [self] in run() }
        thread.name = "firm driver stdin"
        thread.start()
    }

    /// Queues `bytes`; false when the writer is closed.
    @discardableResult
    func write(_ bytes: [UInt8]) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if closed { return false }
        queue.append(bytes)
        condition.signal()
        return true
    }

    /// Writes what is queued, if the driver reads it, then closes its stdin. Never waits.
    func close() {
        condition.lock()
        closed = true
        condition.signal()
        condition.unlock()
    }

    /// Closes at once, dropping anything not yet written.
    func abandon() {
        condition.lock()
        closed = true
        queue.removeAll()
        condition.signal()
        condition.unlock()
    }

    private func run() {
        let fd = handle.fileDescriptor
        while true {
            condition.lock()
            while queue.isEmpty && !closed { condition.wait() }
            if queue.isEmpty && closed {
                condition.unlock()
                break
            }
            let bytes = queue.removeFirst()
            condition.unlock()
            if !writeAll(fd, bytes) { break }
        }
        try? handle.close()
    }

    /// Writes `bytes` without blocking the thread for good: while the pipe is full it waits in
    /// short polls, and gives up once the writer is abandoned. False when the pipe is broken.
    private func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n > 0 {
                offset += n
                continue
            }
            switch errno {
            case EINTR: continue
            case EAGAIN:
                if isAbandoned { return false }
                var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                _ = poll(&p, 1, 100)
            default:
                return false
            }
        }
        return true
    }

    /// Closed with nothing left to write: a stuck write is given up.
    private var isAbandoned: Bool {
        condition.lock()
        defer { condition.unlock() }
        return closed && queue.isEmpty
    }
}
