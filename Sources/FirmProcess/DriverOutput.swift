import Foundation
import Synchronization
import FirmBase
import FirmModel

/// Reads a driver's stdout into lines on a thread of its own, and hands them on in order.
/// A line longer than `maxLine` is a flood: reading stops and `.flood` is reported.
enum DriverOutput {
    enum Event: Sendable {
        case line(String)
        case flood
        case end
    }

    static let maxLine = 8 << 20

    /// Starts reading `fd` until end of file, yielding events to `continuation`.
    static func startReading(_ fd: Int32, into continuation: AsyncStream<Event>.Continuation) {
        let thread = Thread {
            var pending: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            loop: while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                var start = 0
                for i in 0..<n where buffer[i] == 0x0A {
                    pending.append(contentsOf: buffer[start..<i])
                    continuation.yield(.line(String(decoding: pending, as: UTF8.self)))
                    pending.removeAll(keepingCapacity: true)
                    start = i + 1
                }
                pending.append(contentsOf: buffer[start..<n])
                if pending.count > maxLine {
                    continuation.yield(.flood)
                    break loop
                }
            }
            close(fd)
            continuation.yield(.end)
            continuation.finish()
        }
        thread.start()
    }
}

/// The last lines a driver wrote on stderr, kept for error messages, and passed on to a log.
final class DriverLog: Sendable {
    private let lines = Mutex<[String]>([])
    private let keep = 20
    let sink: (@Sendable (String) -> Void)?

    init(sink: (@Sendable (String) -> Void)?) { self.sink = sink }

    func add(_ line: String) {
        lines.withLock { lines in
            lines.append(line)
            if lines.count > keep { lines.removeFirst(lines.count - keep) }
        }
        sink?(line)
    }

    /// The last lines, for a failure message.
    var tail: [String] { lines.withLock { $0 } }

    /// Reads `fd` line by line until end of file, on a thread of its own.
    func startReading(_ fd: Int32) {
        let thread = Thread { [self] in
            var pending: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 1 << 14)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                for byte in buffer[0..<n] {
                    if byte == 0x0A {
                        add(String(decoding: pending, as: UTF8.self))
                        pending.removeAll(keepingCapacity: true)
                    } else if pending.count < 4096 {
                        pending.append(byte)
                    }
                }
            }
            if !pending.isEmpty { add(String(decoding: pending, as: UTF8.self)) }
            close(fd)
        }
        thread.start()
    }
}
