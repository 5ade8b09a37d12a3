import Foundation
import Synchronization

/// A small HTTP/1.1 client over plain TCP, or over TLS when given an `HTTP1Security` (such as
/// FirmOpenSSL's `TLSContext`), for etcd's JSON gateway and EC2's Query API. URLSession on Linux stops
/// the process ("Transfer completed, but there's no response") when an answer ends with HTTP
/// trailers, and the gateway sends a trailer with every error, so it can't be used there.
///
/// One request at a time on a connection; idle connections are kept for the next request.
/// The blocking socket calls of each request run on a serial Dispatch queue of its own, never
/// on Swift's cooperative pool: a serial queue gets a thread of its own when every thread is
/// busy, while a concurrent queue shares (on Linux) the threads the cooperative pool runs on,
/// so that two calls waiting for an answer stalled every task for a second. Cancelling a
/// call's task shuts its socket down, which ends the call at once. Answers are checked as they
/// are read: a status line, headers, and a body by Content-Length or chunks (whose trailers are
/// read and dropped), all within limits.
public final class HTTP1Client: Sendable {
    public struct Response: Sendable {
        public var status: Int
        public var body: [UInt8]
    }

    public let host: String
    public let port: Int
    /// Each call's whole deadline: connecting, sending and reading the whole answer.
    public let timeout: Duration
    let maxBody: Int
    /// The Host header: `host:port` unless given (a signature may cover it as the URL has it).
    let hostHeader: String
    let contentType: String
    /// TLS, or nil for plain TCP.
    let security: (any HTTP1Security)?
    /// Connections kept for the next request.
    private let idle = Mutex<[any HTTP1Stream]>([])

    public init(host: String, port: Int, timeout: Duration = .seconds(5), maxBody: Int = 64 << 20, hostHeader: String? = nil,
                contentType: String = "application/json", security: (any HTTP1Security)? = nil) {
        self.security = security
        self.host = host
        self.port = port
        self.timeout = timeout
        self.maxBody = maxBody
        self.hostHeader = hostHeader ?? "\(host):\(port)"
        self.contentType = contentType
    }

    deinit {
        idle.withLock { for stream in $0 { stream.close() } }
    }

    /// POSTs `body` to `path`; the answer, or an HTTP1Error. Cancelling the calling task ends
    /// the call at once with CancellationError (its socket is shut down).
    public func post(_ path: String, body: [UInt8], headers: [(String, String)] = []) async throws -> Response {
        try await onQueue { socket in try self.exchange(path, body: body, headers: headers, socket) }
    }

    /// POSTs and hands each piece of the body to `onData` as it arrives, until `onData` says
    /// stop, the answer ends, or `deadline` passes. For streams such as etcd's watch. Cancelling
    /// the calling task ends it at once with CancellationError.
    public func stream(_ path: String, body: [UInt8], headers: [(String, String)] = [], until deadline: ContinuousClock.Instant,
                       onData: @escaping @Sendable ([UInt8]) -> Bool) async throws {
        try await onQueue { socket in
            let stream = try self.connect(socket, deadline: min(ContinuousClock.now + self.timeout, deadline))
            guard socket.use(stream.fd) else {
                stream.close()
                throw CancellationError()
            }
            defer {
                socket.release()
                stream.close()
            }
            var reader = Reader(stream: stream, deadline: deadline, maxBody: self.maxBody, streamDeadline: true, waitingFor: "\(self.host):\(self.port)")
            try self.send(stream, path, body: body, headers: headers, deadline: deadline)
            let head = try reader.head()
            guard head.status == 200 else { return }
            if head.chunked {
                while let chunk = try reader.chunk() {
                    if !onData(chunk) { return }
                }
            } else {
                _ = onData(try reader.body(length: head.length ?? 0))
            }
        }
    }

    /// Runs `work` on a queue of its own, where blocking is allowed, with a socket that the
    /// task's cancellation shuts down; what failed because of that is a CancellationError.
    private func onQueue<T: Sendable>(_ work: @escaping @Sendable (CancellableSocket) throws -> T) async throws -> T {
        let socket = CancellableSocket()
        return try await withTaskCancellationHandler {
            try await DispatchQueue(label: "firmament.http1").perform {
                do { return try work(socket) } catch { throw socket.cause(error) }
            }
        } onCancel: {
            socket.cancel()
        }
    }

    private func exchange(_ path: String, body: [UInt8], headers: [(String, String)], _ socket: CancellableSocket) throws -> Response {
        let deadline = ContinuousClock.now + timeout
        // A kept connection is used only while it is quiet: one with bytes waiting (an answer
        // nobody asked for, which would be read as this request's) or closed by the server is
        // dropped. One the server closes just as it is used fails before any answer: then a new
        // one is tried, within the same deadline. A timeout is never tried again.
        while let stream = idle.withLock({ $0.popLast() }) {
            guard stream.isQuiet() else {
                stream.close()
                continue
            }
            do {
                return try roundTrip(stream, path, body: body, headers: headers, socket, deadline: deadline)
            } catch HTTP1Error.connection(let why) where !why.hasPrefix("timed out") && !socket.isCancelled {
                break
            }
        }
        return try roundTrip(try connect(socket, deadline: deadline), path, body: body, headers: headers, socket, deadline: deadline)
    }

    /// One request and its answer on `stream`, which is kept for the next request or closed.
    private func roundTrip(_ stream: any HTTP1Stream, _ path: String, body: [UInt8], headers: [(String, String)], _ socket: CancellableSocket,
                           deadline: ContinuousClock.Instant) throws -> Response {
        guard socket.use(stream.fd) else {
            stream.close()
            throw CancellationError()
        }
        var keep = false
        defer {
            // A socket shut down by a cancellation can't be kept.
            if socket.release() { keep = false }
            if keep { idle.withLock { $0.append(stream) } } else { stream.close() }
        }
        try send(stream, path, body: body, headers: headers, deadline: deadline)
        var reader = Reader(stream: stream, deadline: deadline, maxBody: maxBody, streamDeadline: false, waitingFor: "\(host):\(port)", timeout: timeout)
        let head = try reader.head()
        var bytes: [UInt8] = []
        if head.chunked {
            while let chunk = try reader.chunk() {
                bytes.append(contentsOf: chunk)
                if bytes.count > maxBody { throw HTTP1Error.tooLarge(limit: maxBody) }
            }
        } else if let length = head.length {
            bytes = try reader.body(length: length)
        } else {
            bytes = try reader.rest()
            return Response(status: head.status, body: bytes)
        }
        keep = head.keepAlive && reader.buffer.isEmpty
        return Response(status: head.status, body: bytes)
    }

    private func send(_ stream: any HTTP1Stream, _ path: String, body: [UInt8], headers: [(String, String)], deadline: ContinuousClock.Instant) throws {
        var text = "POST \(path) HTTP/1.1\r\nHost: \(hostHeader)\r\nContent-Type: \(contentType)\r\nContent-Length: \(body.count)\r\n"
        for (name, value) in headers where !name.contains("\r") && !name.contains("\n") && !value.contains("\r") && !value.contains("\n") {
            text += "\(name): \(value)\r\n"
        }
        text += "\r\n"
        var bytes = Array(text.utf8)
        bytes.append(contentsOf: body)
        try stream.send(bytes, deadline: deadline)
    }

    /// A connected stream, by `deadline`: a socket, with TLS's handshake done over it when the
    /// client has TLS. A cancellation shuts down a connect or a handshake in progress.
    private func connect(_ socket: CancellableSocket, deadline: ContinuousClock.Instant) throws -> any HTTP1Stream {
        let fd = try connectSocket(socket, deadline: deadline)
        guard let security else { return PlainStream(fd) }
        guard socket.use(fd) else {
            close(fd)
            throw CancellationError()
        }
        let stream: any HTTP1Stream
        do {
            stream = try security.secure(fd, host: host, port: port, deadline: deadline)
        } catch {
            socket.release()
            close(fd)
            throw error
        }
        if socket.release() {
            stream.close()
            throw CancellationError()
        }
        return stream
    }

    /// A connected socket, by `deadline`. A cancellation shuts down a connect in progress.
    private func connectSocket(_ socket: CancellableSocket, deadline: ContinuousClock.Instant) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let name = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        let code = getaddrinfo(name, String(port), &hints, &list)
        guard code == 0, let first = list else { throw HTTP1Error.connection("cannot resolve \(host): \(String(cString: gai_strerror(code)))") }
        defer { freeaddrinfo(list) }
        var problem = "no address"
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry {
            entry = info.pointee.ai_next
            let fd = Foundation.socket(info.pointee.ai_family, info.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), info.pointee.ai_protocol)
            if fd < 0 { continue }
            let flags = fcntl(fd, F_GETFL)
            _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
            guard socket.use(fd) else {
                close(fd)
                throw CancellationError()
            }
            var result = Foundation.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen)
            if result != 0 && errno == EINPROGRESS {
                var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                let left = max(.zero, deadline - ContinuousClock.now)
                let ms = Int32(min(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000, 600_000))
                if poll(&pfd, 1, ms) == 1 {
                    var error: Int32 = 0
                    var size = socklen_t(MemoryLayout<Int32>.size)
                    getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size)
                    result = error == 0 ? 0 : -1
                    errno = error
                } else {
                    errno = ETIMEDOUT
                }
            }
            let failure = result == 0 ? nil : FileErrors.errno(errno)
            if socket.release() {
                close(fd)
                throw CancellationError()
            }
            guard let failure else {
                _ = fcntl(fd, F_SETFL, flags)
                var one: Int32 = 1
                setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                return fd
            }
            problem = failure
            close(fd)
        }
        throw HTTP1Error.connection("cannot connect to \(host):\(port): \(problem)")
    }
}

/// What went wrong with an HTTP exchange.
public enum HTTP1Error: Error, CustomStringConvertible {
    /// The server could not be reached, or the connection broke or timed out.
    case connection(String)
    /// The answer is not HTTP/1.1 as firm reads it.
    case malformed(String)
    /// The answer is larger than the most firm reads from this server.
    case tooLarge(limit: Int)
    /// The server was reached but the connection could not be made secure as asked (TLS: an
    /// untrusted or expired certificate, a name mismatch, no client certificate, a server that
    /// does not speak TLS). Trying again would meet the same refusal.
    case refused(String)

    public var description: String {
        switch self {
        case .connection(let why): why
        case .malformed(let why): "the answer is not valid HTTP: \(why)"
        case .refused(let why): why
        case .tooLarge(let limit): "the answer is larger than \(limit >= 1 << 20 ? "\(limit >> 20) MB" : "\(limit) bytes"), the most firm reads"
        }
    }
}
