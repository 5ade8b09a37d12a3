import Foundation
import Firmament
import FirmBase
import FirmModel
import FirmPlanning
import FirmExecution
import FirmSession
import FirmDrift

/// Where the CLI writes: stdout for results, stderr for errors, warnings and progress of
/// machine-readable commands.
enum Terminal {
    private static let lock = NSLock()
    /// Progress lines not yet written, guarded by `lock`: an apply of 10,000 apps prints 56,000
    /// of them, and a write for each cost more than making the line. They are written at most
    /// `progressDelay` after the first of them, before anything else is written to stdout or
    /// stderr (so the order stays), and before the process exits.
    nonisolated(unsafe) private static var pendingProgress: [UInt8] = []
    /// Whether a timed flush is on its way (one at a time: a timer for each line would cost more
    /// than the writes it saves).
    nonisolated(unsafe) private static var flushScheduled = false
    /// Whether a line waiting in `pendingProgress` is to be written at the round's end.
    nonisolated(unsafe) private static var roundLinesPending = false
    private static let progressDelay = DispatchTimeInterval.milliseconds(20)
    private static let flusher = DispatchQueue(label: "firm.terminal.progress")

    static func out(_ text: String, terminator: String = "\n") {
        guard !text.isEmpty || !terminator.isEmpty else { return }
        if !write(STDOUT_FILENO, text + terminator, addNewline: false) { Signals.shared.outputClosed() }
    }

    /// Writes `value` as indented JSON. JSON text is almost always plain ASCII, so its bytes are
    /// checked and written as they are; anything else goes through `printable` like all text.
    static func json(_ value: JSON) {
        jsonBytes(JSONWriter(pretty: true).bytes(value))
    }

    /// Writes JSON text already encoded.
    static func jsonBytes(_ bytes: [UInt8]) {
        let ok = isPlainASCII(bytes) ? write(STDOUT_FILENO, bytes) : write(STDOUT_FILENO, String(decoding: bytes, as: UTF8.self), addNewline: false)
        if !ok { Signals.shared.outputClosed() }
    }

    /// When a progress line must reach stdout.
    enum ProgressTiming {
        /// At once, with the lines still waiting before it.
        case now
        /// At the next `flushRound` that writes (the end of an executor's round, at most once a
        /// millisecond), or within `progressDelay`.
        case roundEnd
        /// Within `progressDelay`, together with any others made meanwhile.
        case soon
    }

    /// Writes one progress line to stdout when `timing` says. A write that finds stdout closed
    /// stops the apply; lines after which the executor starts new actions (an action's end) are
    /// written at the end of a round (`flushRound`), before it starts them.
    static func progress(_ text: String, _ timing: ProgressTiming) {
        lock.lock()
        pendingProgress.append(contentsOf: printable(text).utf8)
        pendingProgress.append(0x0A)
        if timing == .roundEnd { roundLinesPending = true }
        let write = timing == .now || pendingProgress.count >= 1 << 16
        let ok = write ? writePendingProgress() : true
        let schedule = !write && !flushScheduled
        if schedule { flushScheduled = true }
        lock.unlock()
        if !ok { Signals.shared.outputClosed() }
        if schedule { flusher.asyncAfter(deadline: .now() + progressDelay) { flush(timed: true) } }
    }

    /// Writes the progress lines not yet written.
    static func flush(timed: Bool = false) {
        lock.lock()
        if timed { flushScheduled = false }
        let ok = writePendingProgress()
        lock.unlock()
        if !ok { Signals.shared.outputClosed() }
    }

    /// At a round's end, at most once per `roundInterval`: writes the progress lines not yet
    /// written if any of them waits for the round's end (a round that only started actions
    /// writes nothing: their lines wait for `progressDelay`), then asks whether stdout's reader
    /// is still there. The executor calls it before it starts anything new, so at most a
    /// `roundInterval` of new starts follows a closed stdout, even when no line was due.
    /// Rounds closer together than that leave their lines to the next round or the timer: at
    /// zero latency there are tens of thousands of rounds a second, and a pipe write (which
    /// wakes the reader) for each cost more than the rest of the round.
    static func flushRound() {
        let now = ContinuousClock.now
        lock.lock()
        guard now - lastRoundFlush >= roundInterval else {
            lock.unlock()
            return
        }
        lastRoundFlush = now
        let ok = roundLinesPending ? writePendingProgress() : true
        lock.unlock()
        if !ok || readerGone() { Signals.shared.outputClosed() }
    }

    /// When `flushRound` last wrote or looked, guarded by `lock`.
    nonisolated(unsafe) private static var lastRoundFlush = ContinuousClock.now - .seconds(1)
    private static let roundInterval = Duration.milliseconds(1)

    /// Whether stdout is a pipe or socket whose reading end has closed, found without writing
    /// (poll reports POLLERR or POLLHUP for it). A regular file has no reader to lose.
    private static func readerGone() -> Bool {
        guard stdoutCanLoseReader else { return false }
        var entry = pollfd(fd: STDOUT_FILENO, events: 0, revents: 0)
        return poll(&entry, 1, 0) == 1 && entry.revents & Int16(POLLERR | POLLHUP) != 0
    }

    /// Whether stdout is anything but a regular file, looked at once.
    private static let stdoutCanLoseReader: Bool = {
        var info = stat()
        return fstat(STDOUT_FILENO, &info) != 0 || info.st_mode & S_IFMT != S_IFREG
    }()

    /// Called with `lock` held; false when stdout's reader has gone.
    private static func writePendingProgress() -> Bool {
        roundLinesPending = false
        guard !pendingProgress.isEmpty else { return true }
        // Written from the buffer itself, which is then emptied in place: no copy, no allocation.
        let ok = writeAll(STDOUT_FILENO, pendingProgress)
        pendingProgress.removeAll(keepingCapacity: true)
        return ok
    }

    static func err(_ text: String) {
        write(STDERR_FILENO, text)
    }

    /// Writes all of `text`; false when the reader has gone (EPIPE).
    @discardableResult
    static func write(_ fd: Int32, _ text: String, addNewline: Bool = true) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        _ = writePendingProgress()
        var bytes = Array(printable(text).utf8)
        if addNewline && bytes.last != 0x0A { bytes.append(0x0A) }
        return writeAll(fd, bytes)
    }

    /// Writes bytes already known to be printable.
    private static func write(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        _ = writePendingProgress()
        return writeAll(fd, bytes)
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n <= 0 {
                if errno == EINTR { continue }
                return errno != EPIPE
            }
            offset += n
        }
        return true
    }

    /// `text` with every control character but newline and tab shown as `\u{1b}`: text from
    /// drivers (addresses, names, errors, stderr lines) can't move the cursor, clear the screen
    /// or retitle the terminal.
    static func printable(_ text: String) -> String {
        if isPlainASCII(text) { return text }
        guard text.unicodeScalars.contains(where: isEscaped) else { return text }
        return ControlCharacters.escaped(text, where: isEscaped)
    }

    /// True when every byte is printable ASCII, newline or tab: the usual case, checked without
    /// decoding scalars.
    private static func isPlainASCII(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { isPlainASCII($0) }
    }

    private static func isPlainASCII(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { isPlainASCII($0) }
    }

    /// Checked 32 bytes at a time with SIMD comparisons: JSON output runs to megabytes.
    private static func isPlainASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        let raw = UnsafeRawPointer(base)
        let space = SIMD32<UInt8>(repeating: 0x20), printable = SIMD32<UInt8>(repeating: 0x5F)
        let newline = SIMD32<UInt8>(repeating: 0x0A), tab = SIMD32<UInt8>(repeating: 0x09)
        var i = 0
        while i + 32 <= bytes.count {
            let v = raw.loadUnaligned(fromByteOffset: i, as: SIMD32<UInt8>.self)
            // A byte below 0x20 wraps around to 0xE0 or more.
            if !all(((v &- space) .< printable) .| (v .== newline) .| (v .== tab)) { return false }
            i += 32
        }
        while i < bytes.count {
            let b = bytes[i]
            if !(b &- 0x20 < 0x5F || b == 0x0A || b == 0x09) { return false }
            i += 1
        }
        return true
    }

    private static func isEscaped(_ scalar: Unicode.Scalar) -> Bool {
        (ControlCharacters.isControl(scalar) && scalar != "\n" && scalar != "\t") || ControlCharacters.isBidiControl(scalar)
    }

    static var stdinIsTerminal: Bool { isatty(STDIN_FILENO) == 1 }

    /// With `-v`, process drivers' stderr lines go to stderr, prefixed with `driver:`.
    static func driverLog(_ args: Arguments) -> (@Sendable (String) -> Void)? {
        guard args.flag("--verbose") else { return nil }
        let sink: @Sendable (String) -> Void = { line in Terminal.err("driver: " + line) }
        return sink
    }

    /// Reads one line from stdin.
    static func readLine() -> String? { Swift.readLine() }
}
