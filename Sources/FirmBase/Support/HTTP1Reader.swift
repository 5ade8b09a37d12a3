import Foundation

/// Reads one HTTP/1.1 answer from a stream (plain TCP or TLS), within a deadline and limits.
struct Reader {
    struct Head {
        var status: Int
        var length: Int?
        var chunked: Bool
        var keepAlive: Bool
    }

    let stream: any HTTP1Stream
    let deadline: ContinuousClock.Instant
    let maxBody: Int
    /// For streams: reaching the deadline ends the stream quietly instead of failing.
    let streamDeadline: Bool
    /// Who is waited for, and how long the call was given, for the message when time runs out.
    let waitingFor: String
    let timeout: Duration?
    var buffer: [UInt8] = []
    static let maxHead = 64 << 10

    init(stream: any HTTP1Stream, deadline: ContinuousClock.Instant, maxBody: Int, streamDeadline: Bool, waitingFor: String = "the server", timeout: Duration? = nil) {
        self.stream = stream
        self.deadline = deadline
        self.maxBody = maxBody
        self.streamDeadline = streamDeadline
        self.waitingFor = waitingFor
        self.timeout = timeout
    }

    /// The call's whole time ran out: a trickle of bytes does not extend it.
    var timedOut: HTTP1Error {
        .connection("timed out" + (timeout.map { " after \(DurationText.format($0))" } ?? "") + " waiting for \(waitingFor)")
    }

    /// Reads more bytes into the buffer; false at the end of the stream.
    mutating func fill() throws -> Bool {
        guard let bytes = try stream.receive(max: 64 << 10, deadline: deadline) else { throw timedOut }
        if bytes.isEmpty { return false }
        buffer.append(contentsOf: bytes)
        return true
    }

    /// One line without its CRLF.
    mutating func line() throws -> String {
        while true {
            if let i = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                var bytes = Array(buffer[..<i])
                buffer.removeSubrange(...i)
                if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
                return String(decoding: bytes, as: UTF8.self)
            }
            if buffer.count > Self.maxHead { throw HTTP1Error.malformed("a header line longer than \(Self.maxHead) bytes") }
            guard try fill() else { throw HTTP1Error.connection("the connection closed mid-answer") }
        }
    }

    /// The most interim (1xx) answers read before the real one.
    static let maxInterim = 16

    /// The head of the answer, after at most `maxInterim` interim (1xx) answers.
    mutating func head() throws -> Head {
        for _ in 0...Self.maxInterim {
            let head = try oneHead()
            if !(100..<200).contains(head.status) { return head }
        }
        throw HTTP1Error.malformed("more than \(Self.maxInterim) interim (1xx) answers before the answer")
    }

    private mutating func oneHead() throws -> Head {
        let status = try line()
        let parts = status.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let code = Int(parts[1]), (100...599).contains(code) else {
            throw HTTP1Error.malformed("status line \(quoted(String(status.prefix(80))))")
        }
        var head = Head(status: code, length: nil, chunked: false, keepAlive: parts[0] == "HTTP/1.1")
        var count = 0
        while true {
            let header = try line()
            if header.isEmpty { break }
            count += 1
            if count > 200 { throw HTTP1Error.malformed("more than 200 headers") }
            guard let colon = header.firstIndex(of: ":") else { throw HTTP1Error.malformed("header \(quoted(String(header.prefix(80))))") }
            let name = header[..<colon].lowercased()
            let value = header[header.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            switch name {
            case "content-length":
                guard let n = Int(value), n >= 0 else { throw HTTP1Error.malformed("Content-Length \(quoted(value))") }
                if n > maxBody { throw HTTP1Error.tooLarge(limit: maxBody) }
                head.length = n
            case "transfer-encoding": head.chunked = value.lowercased().contains("chunked")
            case "connection":
                let v = value.lowercased()
                if v.contains("close") { head.keepAlive = false } else if v.contains("keep-alive") { head.keepAlive = true }
            default: break
            }
        }
        return head
    }

    mutating func body(length: Int) throws -> [UInt8] {
        while buffer.count < length {
            guard try fill() else { throw HTTP1Error.connection("the connection closed mid-answer") }
        }
        let bytes = Array(buffer[..<length])
        buffer.removeSubrange(..<length)
        return bytes
    }

    /// Everything until the connection closes (an answer with neither length nor chunks).
    mutating func rest() throws -> [UInt8] {
        while try fill() {
            if buffer.count > maxBody { throw HTTP1Error.tooLarge(limit: maxBody) }
        }
        defer { buffer = [] }
        return buffer
    }

    /// The next chunk's bytes, or nil after the last chunk (its trailers are read and dropped).
    /// In a stream, the deadline ends it quietly.
    mutating func chunk() throws -> [UInt8]? {
        do {
            let sizeLine = try line()
            let hex = sizeLine.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            guard !hex.isEmpty, hex.utf8.allSatisfy({ $0 < 0x80 && Character(Unicode.Scalar($0)).isHexDigit }) else {
                throw HTTP1Error.malformed("chunk size \(quoted(String(sizeLine.prefix(40))))")
            }
            // More hex digits than any size firm reads, or a size past it: over the limit.
            guard hex.count <= 15, let size = Int(hex, radix: 16), size <= maxBody else { throw HTTP1Error.tooLarge(limit: maxBody) }
            if size == 0 {
                // Trailers: read and dropped, at most as many as header lines.
                var trailers = 0
                while try !line().isEmpty {
                    trailers += 1
                    if trailers > 200 { throw HTTP1Error.malformed("more than 200 trailer lines") }
                }
                return nil
            }
            let bytes = try body(length: size)
            guard try line().isEmpty else { throw HTTP1Error.malformed("a chunk not followed by CRLF") }
            return bytes
        } catch HTTP1Error.connection(let why) where streamDeadline && why.hasPrefix("timed out") {
            return nil
        }
    }
}
