import Foundation

/// Text for stdout and stderr not yet written, in the order it was made: one buffer of bytes,
/// and the points where it passes from one descriptor to the other. Appending copies the bytes
/// and nothing else; the terminal's queue writes it all in order (`write`).
struct PendingText {
    private var bytes: [UInt8] = []
    /// Where each run of bytes for one descriptor starts; it ends where the next one starts.
    private var runs: [(fd: Int32, start: Int)] = []

    var isEmpty: Bool { bytes.isEmpty }
    var count: Int { bytes.count }

    mutating func append(_ fd: Int32, _ text: some Collection<UInt8>) {
        if runs.last?.fd != fd { runs.append((fd, bytes.count)) }
        bytes.append(contentsOf: text)
    }

    /// Empties it, keeping its capacity.
    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        runs.removeAll(keepingCapacity: true)
    }

    /// Writes every run in order (or only those for `only`), blocking as long as a reader takes.
    /// False when a write to stdout found its reader gone (EPIPE); the runs after it are still
    /// written (stdout's fail the same way).
    func write(only: Int32? = nil) -> Bool {
        var ok = true
        for (i, run) in runs.enumerated() where only == nil || run.fd == only {
            let end = i + 1 < runs.count ? runs[i + 1].start : bytes.count
            if !Self.writeAll(run.fd, bytes, run.start..<end) && run.fd == STDOUT_FILENO { ok = false }
        }
        return ok
    }

    /// Writes `range` of `bytes` from the buffer itself: no copy. False when the reader has gone.
    private static func writeAll(_ fd: Int32, _ bytes: [UInt8], _ range: Range<Int>) -> Bool {
        var offset = range.lowerBound
        while offset < range.upperBound {
            let n = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress! + offset, range.upperBound - offset) }
            if n <= 0 {
                if errno == EINTR { continue }
                return errno != EPIPE
            }
            offset += n
        }
        return true
    }
}
