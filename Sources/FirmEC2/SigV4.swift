import Foundation
import FirmBase
import FirmModel

/// AWS Signature Version 4, for the EC2 Query API: the canonical request, the string to sign,
/// the signing key and the signature, in the header form (an `Authorization` header) or the
/// query form (a presigned URL). Tested against every case of the AWS SigV4 test suite.
public struct SigV4: Sendable {
    public struct Credentials: Sendable, Equatable {
        public var accessKey: String
        public var secret: String
        public var sessionToken: String?

        public init(accessKey: String, secret: String, sessionToken: String? = nil) {
            self.accessKey = accessKey
            self.secret = secret
            self.sessionToken = sessionToken
        }
    }

    /// A request to sign: the path and query as they stand on the request line (the query
    /// without its `?`), the headers in order (with `Host`), and the body.
    public struct Request: Sendable {
        public var method: String
        public var path: String
        public var query: String
        public var headers: [(name: String, value: String)]
        public var body: [UInt8]

        public init(method: String, path: String, query: String = "", headers: [(name: String, value: String)], body: [UInt8] = []) {
            self.method = method
            self.path = path
            self.query = query
            self.headers = headers
            self.body = body
        }
    }

    public enum Form: Sendable {
        /// An `Authorization` header, with `X-Amz-Date` (and the session token) as headers.
        case header
        /// Presigned: the signature and its parameters in the query, valid for `expires` seconds.
        case query(expires: Int)
    }

    /// The signature and everything it was made from, and what to add to the request.
    public struct Signed: Sendable {
        public var canonicalRequest: String
        public var stringToSign: String
        public var signature: String
        /// Headers to add (the header form): X-Amz-Date, X-Amz-Security-Token, X-Amz-Content-Sha256, Authorization.
        public var headers: [(name: String, value: String)]
        /// The query to send (the query form: the request's, plus the signing parameters).
        public var query: String
    }

    public var credentials: Credentials
    public var region: String
    public var service: String
    /// Remove `.` and `..` segments and repeated slashes from the path (every service but S3).
    public var normalizePath = true
    /// Add the payload's hash as an `X-Amz-Content-Sha256` header (header form).
    public var signBody = false
    /// Sign the session token (every service but a few, which want it added after signing).
    public var signSessionToken = true

    public init(credentials: Credentials, region: String, service: String) {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    public func sign(_ request: Request, at date: Date, form: Form = .header) -> Signed {
        let (stamp, day) = Self.timestamps(date)
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let payloadHash = SHA256.hex(request.body)
        var headers = request.headers
        var added: [(name: String, value: String)] = []
        var queryItems = Self.queryItems(request.query)
        switch form {
        case .header:
            added.append(("X-Amz-Date", stamp))
            if let token = credentials.sessionToken, signSessionToken { added.append(("X-Amz-Security-Token", token)) }
            if signBody { added.append(("X-Amz-Content-Sha256", payloadHash)) }
            headers += added
        case .query(let expires):
            let signedNames = Self.canonicalHeaders(headers).names
            queryItems += [("X-Amz-Algorithm", "AWS4-HMAC-SHA256"), ("X-Amz-Credential", "\(credentials.accessKey)/\(scope)"),
                           ("X-Amz-Date", stamp), ("X-Amz-Expires", String(expires)), ("X-Amz-SignedHeaders", signedNames)]
            if let token = credentials.sessionToken, signSessionToken { queryItems.append(("X-Amz-Security-Token", token)) }
        }
        let canonical = Self.canonicalHeaders(headers)
        let canonicalQuery = Self.canonicalQuery(queryItems)
        let canonicalRequest = [request.method, canonicalURI(request.path), canonicalQuery, canonical.block, canonical.names, payloadHash]
            .joined(separator: "\n")
        let stringToSign = ["AWS4-HMAC-SHA256", stamp, scope, SHA256.hex(canonicalRequest)].joined(separator: "\n")
        var key = HMACSHA256.mac(key: Array("AWS4\(credentials.secret)".utf8), day)
        for part in [region, service, "aws4_request"] { key = HMACSHA256.mac(key: key, part) }
        let signature = HMACSHA256.hex(HMACSHA256.mac(key: key, stringToSign))
        switch form {
        case .header:
            added.append(("Authorization", "AWS4-HMAC-SHA256 Credential=\(credentials.accessKey)/\(scope), SignedHeaders=\(canonical.names), Signature=\(signature)"))
            if let token = credentials.sessionToken, !signSessionToken { added.append(("X-Amz-Security-Token", token)) }
            return Signed(canonicalRequest: canonicalRequest, stringToSign: stringToSign, signature: signature, headers: added, query: request.query)
        case .query:
            var query = canonicalQuery + "&X-Amz-Signature=" + signature
            if let token = credentials.sessionToken, !signSessionToken { query += "&X-Amz-Security-Token=" + Self.encode(token) }
            return Signed(canonicalRequest: canonicalRequest, stringToSign: stringToSign, signature: signature, headers: [], query: query)
        }
    }

    /// `20150830T123600Z` and `20150830`, in UTC.
    static func timestamps(_ date: Date) -> (String, String) {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let day = "\(parts.tm_year + 1900)\(two(parts.tm_mon + 1))\(two(parts.tm_mday))"
        return ("\(day)T\(two(parts.tm_hour))\(two(parts.tm_min))\(two(parts.tm_sec))Z", day)
    }

    /// The path, normalized (for every service but S3) and with each segment URI-encoded.
    func canonicalURI(_ path: String) -> String {
        var segments = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if segments.first == "" { segments.removeFirst() }
        if normalizePath {
            var kept: [String] = []
            for (i, segment) in segments.enumerated() {
                let last = i == segments.count - 1
                switch segment {
                case ".": if last { kept.append("") }
                case "..":
                    if !kept.isEmpty { kept.removeLast() }
                    if last { kept.append("") }
                case "": if last { kept.append("") }
                default: kept.append(segment)
                }
            }
            segments = kept
        }
        let uri = "/" + segments.map { Self.encode($0) }.joined(separator: "/")
        return uri
    }

    /// The query's `name=value` pairs, percent-decoded; a name with no `=` has an empty value.
    static func queryItems(_ query: String) -> [(String, String)] {
        query.split(separator: "&").map { part in
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (decode(String(pieces[0])), pieces.count > 1 ? decode(String(pieces[1])) : "")
        }
    }

    static func canonicalQuery(_ items: [(String, String)]) -> String {
        items.map { (encode($0.0), encode($0.1)) }
            .sorted { $0.0 == $1.0 ? Array($0.1.utf8).lexicographicallyPrecedes(Array($1.1.utf8)) : Array($0.0.utf8).lexicographicallyPrecedes(Array($1.0.utf8)) }
            .map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    /// The canonical header block (`name:value\n` each, sorted) and the signed header names.
    static func canonicalHeaders(_ headers: [(name: String, value: String)]) -> (block: String, names: String) {
        var values: [String: [String]] = [:]
        for (name, value) in headers {
            let trimmed = value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }).joined(separator: " ")
            values[name.lowercased(), default: []].append(trimmed)
        }
        let names = values.keys.sorted()
        return (names.map { "\($0):\(values[$0]!.joined(separator: ","))\n" }.joined(), names.joined(separator: ";"))
    }

    private static let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)

    /// RFC 3986 encoding: every byte but the unreserved ones as `%XX`, upper-case.
    public static func encode(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in text.utf8 {
            if unreserved.contains(byte) { out.append(byte) } else { out += [0x25, hex[Int(byte >> 4)], hex[Int(byte & 15)]] }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func decode(_ text: String) -> String {
        guard text.contains("%") else { return text }
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.first {
            utf8 = utf8.dropFirst()
            if byte == 0x25, utf8.count >= 2, let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(value)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
