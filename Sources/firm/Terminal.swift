import Foundation
import Synchronization
import Firmament
import FirmBase
import FirmModel
import FirmPlanning
import FirmExecution
import FirmSession
import FirmDrift

/// Where the CLI writes: stdout for results, stderr for errors, warnings and progress of
/// machine-readable commands.
///
/// Every write to stdout and stderr is made on `flusher`, a serial queue with a thread of its
/// own, never on the caller's thread: a reader that is slow or stalled (a pipe to `less`, a full
/// pipe) blocks that queue, not a thread of the cooperative pool that the executor and the
/// commands run on. Callers append to `output` under its Mutex, in the order they write, and the
/// queue writes it in that order, stdout's and stderr's text interleaved as they came. A write
/// that finds stdout's reader gone (EPIPE) calls `Signals.outputClosed()` from the queue.
enum Terminal {
    /// What is waiting to be written, and when the queue is to write it.
    private static let output = Mutex(Output())
    /// Progress lines wait at most this long when nothing else writes sooner.
    private static let progressDelay = DispatchTimeInterval.milliseconds(20)
    /// The one place where stdout and stderr are written.
    private static let flusher: DispatchQueue = {
        let queue = DispatchQueue(label: "firm.terminal.output")
        queue.setSpecific(key: flusherKey, value: true)
        return queue
    }()
    private static let flusherKey = DispatchSpecificKey<Bool>()
    /// Where `readLine` waits for stdin, after everything written before it.
    private static let reader = DispatchQueue(label: "firm.terminal.input")

    private struct Output {
        /// Text not yet handed to the queue: an apply of 10,000 apps prints 56,000 progress
        /// lines, and a write (or a dispatch) for each cost more than making the line.
        var pending = PendingText()
        /// A buffer the queue has written and emptied, kept for its capacity.
        var spare = PendingText()
        /// Whether a write is on the queue and has not yet taken `pending`: one at a time.
        var writeQueued = false
        /// Whether a timed write is on its way (one at a time: a timer for each line would cost
        /// more than the writes it saves).
        var timerSet = false
        /// Whether a line in `pending` is to be written at the round's end.
        var roundLinesPending = false
        /// When `flushRound` last wrote or looked.
        var lastRoundFlush = ContinuousClock.now - .seconds(1)

        /// Whether the caller is to put a write on the queue: only when none is queued already.
        mutating func queueWrite() -> Bool {
            guard !writeQueued else { return false }
            writeQueued = true
            return true
        }
    }

    static func out(_ text: String, terminator: String = "\n") {
        guard !text.isEmpty || !terminator.isEmpty else { return }
        enqueue(STDOUT_FILENO, printable(text + terminator).utf8)
    }

    /// Writes `value` as indented JSON. JSON text is almost always plain ASCII, so its bytes are
    /// checked and written as they are; anything else goes through `printable` like all text.
    static func json(_ value: JSON) {
        jsonBytes(JSONWriter(pretty: true).bytes(value))
    }

    /// Writes JSON text already encoded.
    static func jsonBytes(_ bytes: [UInt8]) {
        if isPlainASCII(bytes) {
            enqueue(STDOUT_FILENO, bytes)
        } else {
            enqueue(STDOUT_FILENO, printable(String(decoding: bytes, as: UTF8.self)).utf8)
        }
    }

    /// Writes `text` to stderr, with a newline unless it ends with one.
    static func err(_ text: String) {
        let text = printable(text)
        enqueue(STDERR_FILENO, text.utf8, newline: text.utf8.last != 0x0A)
    }

    /// Appends `bytes` to what is pending and has the queue write it all, soon.
    private static func enqueue(_ fd: Int32, _ bytes: some Collection<UInt8>, newline: Bool = false) {
        let queue = output.withLock { output in
            output.pending.append(fd, bytes)
            if newline { output.pending.append(fd, CollectionOfOne(0x0A)) }
            return output.queueWrite()
        }
        if queue { flusher.async { writePending() } }
    }

    /// The status line on a terminal (`StatusLine`): `line` rewritten in place (carriage return,
    /// erase the line), with `scrolling` first written above it as lines that stay. Both are
    /// printable text; only the cursor controls here are firm's own.
    static func status(_ line: String, scrolling: String? = nil) {
        var text = "\r\u{1B}[2K"
        if let scrolling { text += printable(scrolling) + "\n" }
        text += printable(line)
        enqueue(STDOUT_FILENO, text.utf8)
    }

    /// Erases the status line, leaving the cursor at the start of the empty line.
    static func clearStatus() {
        enqueue(STDOUT_FILENO, "\r\u{1B}[2K".utf8)
    }

    static var stdoutIsTerminal: Bool { isatty(STDOUT_FILENO) == 1 }

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

    /// Writes one progress line to stdout when `timing` says: the line is appended to what is
    /// pending, and the queue writes it (`now`, or once 64 KB wait), at a round's end
    /// (`flushRound`) or after `progressDelay`. Lines after which the executor starts new actions
    /// (an action's end) are `roundEnd`, so they are on their way before it starts them.
    static func progress(_ text: String, _ timing: ProgressTiming) {
        let line = printable(text)
        let (queue, timer) = output.withLock { output in
            output.pending.append(STDOUT_FILENO, line.utf8)
            output.pending.append(STDOUT_FILENO, CollectionOfOne(0x0A))
            if timing == .roundEnd { output.roundLinesPending = true }
            if timing == .now || output.pending.count >= 1 << 16 { return (output.queueWrite(), false) }
            guard !output.timerSet else { return (false, false) }
            output.timerSet = true
            return (false, true)
        }
        if queue { flusher.async { writePending() } }
        if timer { flusher.asyncAfter(deadline: .now() + progressDelay) { writePending(timed: true) } }
    }

    /// Writes everything pending, and waits until it is written: before the process exits. It
    /// waits as long as stdout's reader takes to read it, so call it only where nothing else is
    /// left to do (the end of `main`). From the queue itself it writes what is pending there.
    static func flush() {
        if DispatchQueue.getSpecific(key: flusherKey) == true {
            writePending()
        } else {
            flusher.sync { writePending() }
        }
    }

    /// Writes everything pending before an exit that can't wait for a stalled stdout (a second
    /// signal): it waits for the queue at most `limit`, then writes what is for stderr directly
    /// (so the reason for the exit is still said), leaving stdout's text unwritten.
    static func flushBeforeExit(within limit: DispatchTimeInterval = .seconds(1)) {
        if DispatchQueue.getSpecific(key: flusherKey) == true {
            writePending()
            return
        }
        let written = DispatchSemaphore(value: 0)
        flusher.async {
            writePending()
            written.signal()
        }
        guard written.wait(timeout: .now() + limit) == .timedOut else { return }
        let left = output.withLock { output in
            var left = PendingText()
            swap(&left, &output.pending)
            return left
        }
        _ = left.write(only: STDERR_FILENO)
    }

    /// At a round's end, at most once per `roundInterval`: has the queue write what is pending
    /// if a line of it waits for the round's end (a round that only started actions writes
    /// nothing: their lines wait for `progressDelay`), then asks whether stdout's reader is still
    /// there. The executor calls it before it starts anything new, so at most a `roundInterval`
    /// of new starts follows a closed stdout, even when no line was due and whatever the queue
    /// is doing. Rounds closer together than that leave their lines to the next round or the
    /// timer: at zero latency there are tens of thousands of rounds a second, and a pipe write
    /// (which wakes the reader) for each cost more than the rest of the round.
    static func flushRound() {
        let now = ContinuousClock.now
        let due: Bool? = output.withLock { output in
            guard now - output.lastRoundFlush >= roundInterval else { return nil }
            output.lastRoundFlush = now
            return output.roundLinesPending && output.queueWrite()
        }
        guard let queue = due else { return }
        if queue { flusher.async { writePending() } }
        if readerGone() { Signals.shared.outputClosed() }
    }

    private static let roundInterval = Duration.milliseconds(1)

    /// Whether stdout is a pipe or socket whose reading end has closed, found without writing
    /// (poll reports POLLERR or POLLHUP for it, at once). A regular file has no reader to lose.
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

    /// On the queue: takes what is pending (leaving the spare buffer in its place, so neither is
    /// copied nor reallocated) and writes it. A write that finds stdout's reader gone stops the
    /// apply, or exits outside one, once the rest is written.
    private static func writePending(timed: Bool = false) {
        var batch = output.withLock { output in
            output.writeQueued = false
            output.roundLinesPending = false
            if timed { output.timerSet = false }
            var batch = PendingText()
            swap(&batch, &output.pending)
            swap(&output.pending, &output.spare)
            return batch
        }
        guard !batch.isEmpty else { return }
        let ok = batch.write()
        batch.removeAll()
        output.withLock { $0.spare = batch }
        if !ok { Signals.shared.outputClosed() }
    }

    /// Reads one line from stdin, once everything written before it (a prompt) is out. The read
    /// waits on a queue of its own, not on the cooperative pool.
    static func readLine() async -> String? {
        await reader.perform {
            flush()
            return Swift.readLine()
        }
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
}
