import Foundation

/// A connected byte stream that HTTP1Client speaks HTTP/1.1 over: plain TCP (`PlainStream`),
/// or TLS over it (FirmOpenSSL's `TLSStream`). FirmBase knows only this protocol, so the
/// HTTP client and its reader stay here while the OpenSSL binding sits in a target above.
///
/// A stream is used by one thread at a time: the request that holds it, on its serial queue.
/// Between requests it sits in the client's idle list, under that list's Mutex.
public protocol HTTP1Stream: AnyObject, Sendable {
    /// The socket underneath, which a cancellation shuts down.
    var fd: Int32 { get }
    /// Reads what has arrived, waiting until `deadline` for something: the bytes, an empty
    /// array at the end of the stream, or nil when the deadline passed first.
    func receive(max: Int, deadline: ContinuousClock.Instant) throws -> [UInt8]?
    /// Sends all of `bytes` by `deadline`.
    func send(_ bytes: [UInt8], deadline: ContinuousClock.Instant) throws
    /// Whether a kept connection is fit for another request: nothing to read, not closed.
    func isQuiet() -> Bool
    /// Closes the stream and its socket. Called once, by the holder.
    func close()
}

/// What turns a connected socket into a stream: TLS's handshake and checks, for a client that
/// has them (HTTP1Client without one speaks plain TCP).
public protocol HTTP1Security: Sendable {
    /// The stream over `fd`, connected to `host` (a name or an IP address, as the URL gave it)
    /// on `port`, by `deadline`. On failure the socket is left to the caller to close.
    func secure(_ fd: Int32, host: String, port: Int, deadline: ContinuousClock.Instant) throws -> any HTTP1Stream
}

/// Plain TCP.
public final class PlainStream: HTTP1Stream {
    public let fd: Int32

    public init(_ fd: Int32) { self.fd = fd }

    public func receive(max: Int, deadline: ContinuousClock.Instant) throws -> [UInt8]? {
        var chunk = [UInt8](repeating: 0, count: max)
        while true {
            guard try Self.wait(fd, for: Int16(POLLIN), until: deadline) else { return nil }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw HTTP1Error.connection("recv: \(FileErrors.errno(errno))")
            }
            return Array(chunk[..<n])
        }
    }

    public func send(_ bytes: [UInt8], deadline: ContinuousClock.Instant) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Foundation.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw HTTP1Error.connection("send: \(FileErrors.errno(errno))")
            }
            sent += n
        }
    }

    public func isQuiet() -> Bool {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&pfd, 1, 0) == 0
    }

    public func close() { _ = Foundation.close(fd) }

    /// Waits until `fd` is ready for `events` (true) or `deadline` passes (false). An
    /// interrupted wait is tried again, within the same deadline.
    public static func wait(_ fd: Int32, for events: Int16, until deadline: ContinuousClock.Instant) throws -> Bool {
        while true {
            let left = deadline - ContinuousClock.now
            if left <= .zero { return false }
            var pfd = pollfd(fd: fd, events: events, revents: 0)
            let ms = Int32(min(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1, 600_000))
            let ready = poll(&pfd, 1, ms)
            if ready < 0 {
                if errno == EINTR { continue }
                throw HTTP1Error.connection("poll: \(FileErrors.errno(errno))")
            }
            return ready > 0
        }
    }
}
