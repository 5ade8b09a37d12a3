import Foundation
import FirmBase

/// One TLS connection over a connected socket: the handshake (with SNI, and the server's
/// certificate checked against the host name or IP address), then reads and writes that wait
/// with `poll` within the caller's deadline, the socket being non-blocking. A failure that
/// trying again would not mend (see `TLSRefusal`) is an `HTTP1Error.refused`; a broken or
/// timed-out connection is an `HTTP1Error.connection`.
///
/// Used by one thread at a time (see `HTTP1Stream`); `close` frees the connection.
final class TLSStream: HTTP1Stream, @unchecked Sendable {
    let fd: Int32
    private let ssl: OpaquePointer
    private let library: OpenSSL
    private let endpoint: String
    private let refusal: TLSRefusal
    private var closed = false
    private var handshaking = true

    init(fd: Int32, context: OpaquePointer, library: OpenSSL, host: String, endpoint: String, trustHint: String,
         deadline: ContinuousClock.Instant) throws {
        self.fd = fd
        self.library = library
        self.endpoint = endpoint
        let name = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        refusal = TLSRefusal(library: library, endpoint: endpoint, host: name, trustHint: trustHint)
        library.ERR_clear_error()
        guard let ssl = library.SSL_new(context) else {
            throw HTTP1Error.connection("TLS with \(endpoint): SSL_new failed: \(library.errors())")
        }
        self.ssl = ssl
        // From here `deinit` frees `ssl` (never the socket: the caller closes that on failure).
        guard library.SSL_set_fd(ssl, fd) == 1 else { throw HTTP1Error.connection("TLS with \(endpoint): SSL_set_fd failed: \(library.errors())") }
        guard let parameters = library.SSL_get0_param(ssl) else {
            throw HTTP1Error.connection("TLS with \(endpoint): SSL_get0_param failed: \(library.errors())")
        }
        if Self.isIPAddress(name) {
            // An IP address is checked against the certificate's IP SANs; SNI carries names only.
            guard library.X509_VERIFY_PARAM_set1_ip_asc(parameters, name) == 1 else {
                throw HTTP1Error.connection("TLS with \(endpoint): cannot check the address \(name): \(library.errors())")
            }
        } else {
            guard library.X509_VERIFY_PARAM_set1_host(parameters, name, 0) == 1 else {
                throw HTTP1Error.connection("TLS with \(endpoint): cannot check the name \(name): \(library.errors())")
            }
            guard name.withCString({ library.SSL_ctrl(ssl, OpenSSL.SSL_CTRL_SET_TLSEXT_HOSTNAME, 0, UnsafeMutableRawPointer(mutating: $0)) }) == 1 else {
                throw HTTP1Error.connection("TLS with \(endpoint): cannot send the name \(name) (SNI): \(library.errors())")
            }
        }
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 else {
            throw HTTP1Error.connection("TLS with \(endpoint): fcntl: \(FileErrors.errno(errno))")
        }
        while true {
            library.ERR_clear_error()
            let result = library.SSL_connect(ssl)
            if result == 1 { break }
            guard try wait(after: result, until: deadline) else {
                throw HTTP1Error.connection("timed out in the TLS handshake with \(endpoint)")
            }
        }
        handshaking = false
    }

    deinit {
        if !closed { library.SSL_free(ssl) }
    }

    /// After a call that did not complete: waits for what OpenSSL wants (true when it may go
    /// on, false when the deadline passed), or throws what went wrong.
    private func wait(after result: Int32, until deadline: ContinuousClock.Instant) throws -> Bool {
        let savedErrno = errno
        let code = library.SSL_get_error(ssl, result)
        switch code {
        case OpenSSL.SSL_ERROR_WANT_READ: return try PlainStream.wait(fd, for: Int16(POLLIN), until: deadline)
        case OpenSSL.SSL_ERROR_WANT_WRITE: return try PlainStream.wait(fd, for: Int16(POLLOUT), until: deadline)
        default: throw refusal.error(ssl: ssl, code: code, errno: savedErrno, handshaking: handshaking)
        }
    }

    func receive(max: Int, deadline: ContinuousClock.Instant) throws -> [UInt8]? {
        var chunk = [UInt8](repeating: 0, count: max)
        while true {
            library.ERR_clear_error()
            let n = chunk.withUnsafeMutableBytes { library.SSL_read(ssl, $0.baseAddress, Int32(clamping: $0.count)) }
            if n > 0 { return Array(chunk[..<Int(n)]) }
            // The server's close_notify: the end of the stream.
            if library.SSL_get_error(ssl, n) == OpenSSL.SSL_ERROR_ZERO_RETURN { return [] }
            guard try wait(after: n, until: deadline) else { return nil }
        }
    }

    func send(_ bytes: [UInt8], deadline: ContinuousClock.Instant) throws {
        var sent = 0
        while sent < bytes.count {
            library.ERR_clear_error()
            let n = bytes[sent...].withUnsafeBytes { library.SSL_write(ssl, $0.baseAddress, Int32(clamping: $0.count)) }
            if n > 0 {
                sent += Int(n)
                continue
            }
            guard try wait(after: n, until: deadline) else { throw HTTP1Error.connection("timed out sending to \(endpoint)") }
        }
    }

    /// Quiet when nothing but TLS's own messages (such as TLS 1.3's session tickets) has come
    /// since the last answer, and the server has not closed.
    func isQuiet() -> Bool {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        if poll(&pfd, 1, 0) == 0 { return true }
        var byte: UInt8 = 0
        library.ERR_clear_error()
        let n = library.SSL_peek(ssl, &byte, 1)
        if n > 0 { return false }
        let quiet = library.SSL_get_error(ssl, n) == OpenSSL.SSL_ERROR_WANT_READ
        library.ERR_clear_error()
        return quiet
    }

    func close() {
        guard !closed else { return }
        closed = true
        // close_notify, without waiting for the server's; then the connection and the socket.
        library.ERR_clear_error()
        _ = library.SSL_shutdown(ssl)
        library.ERR_clear_error()
        library.SSL_free(ssl)
        _ = Foundation.close(fd)
    }

    static func isIPAddress(_ text: String) -> Bool {
        var v4 = in_addr(), v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }
}
