import Foundation
import Synchronization
import FirmBase
import FirmModel
import FirmOpenSSL

/// etcd v3 through its JSON gateway (`POST /v3/...`), with HTTP1Client (URLSession on Linux
/// can't read the gateway's error answers, which end with trailers). Endpoints are tried in
/// turn: a member that can't be reached, has no leader, or is changing leader is left for the
/// next, with a backoff once every member was tried, until `retryWindow` has passed. With a user
/// (`FIRM_ETCD_USER`, `FIRM_ETCD_PASSWORD`) it takes a token from etcd's auth API and takes a new
/// one when etcd says the old one is no longer valid. Every answer is checked before use.
/// `etcds://` speaks TLS 1.2 or newer through the same client (`EtcdTLS`); a member whose TLS
/// is refused (its certificate, or ours) fails the call at once, and never falls back to plain.
/// Calls may run concurrently; the member in use and the token are kept under a Mutex, read
/// and changed between calls, never held across one.
public final class EtcdClient: Sendable {
    public let address: EtcdAddress
    let connections: [HTTP1Client]
    private let credentials: (user: String, password: String)?
    /// The member calls go to first, and the auth token once taken.
    private let state = Mutex<(current: Int, token: String?)>((0, nil))
    /// How long a call goes on trying other members before it gives up.
    let retryWindow: Duration
    /// The largest answer read: a page of 1,000 keys is far below it.
    static let maxResponse = 64 << 20

    public init(_ address: EtcdAddress, environment: Environment = .process, retryWindow: Duration = .seconds(10)) throws(StateError) {
        self.address = address
        self.retryWindow = retryWindow
        let user = environment["FIRM_ETCD_USER"].flatMap { $0.isEmpty ? nil : $0 }
        let password = environment["FIRM_ETCD_PASSWORD"]
        switch (user, password) {
        case (nil, nil): credentials = nil
        case (let user?, let password?): credentials = (user, password)
        case (nil, _): throw .unavailable(location: address.url, reason: "FIRM_ETCD_PASSWORD is set but FIRM_ETCD_USER is not")
        case (_, nil): throw .unavailable(location: address.url, reason: "FIRM_ETCD_USER is set but FIRM_ETCD_PASSWORD is not")
        }
        let security = try EtcdTLS.context(for: address, environment: environment)
        // Each call's whole deadline on one member: FIRM_ETCD_TIMEOUT, 5s unless set.
        var timeout = Self.defaultTimeout
        if let text = environment["FIRM_ETCD_TIMEOUT"], !text.isEmpty {
            guard let given = DurationText.parse(text), given >= .milliseconds(100), given <= .seconds(300) else {
                throw .unavailable(location: address.url, reason: "FIRM_ETCD_TIMEOUT \(quoted(text)) is not a duration from 100ms to 5m, such as \"5s\"")
            }
            timeout = given
        }
        // EtcdAddress checked every endpoint as HOST:PORT with a port from 1 to 65535.
        connections = address.endpoints.map { endpoint in
            let parts = endpoint.split(separator: ":")
            let host = parts.dropLast().joined(separator: ":"), port = parts.last.flatMap { Int($0) } ?? 2379
            return HTTP1Client(host: host, port: port, timeout: timeout, maxBody: EtcdClient.maxResponse, security: security)
        }
    }

    /// A call's deadline on one member when FIRM_ETCD_TIMEOUT does not say.
    static let defaultTimeout = Duration.seconds(5)

    /// The auth header's value for a call, taking a token first when a user is configured.
    func authorization() async throws -> String? {
        guard let credentials else { return nil }
        if let token = state.withLock({ $0.token }) { return token }
        let answer = try await post("/v3/auth/authenticate", ["name": .string(credentials.user), "password": .string(credentials.password)], auth: nil)
        guard let value = answer.member("token")?.plain.stringValue, !value.isEmpty else {
            throw StateError.unavailable(location: address.url, reason: "etcd's auth/authenticate answered without a token")
        }
        state.withLock { $0.token = value }
        return value
    }

    /// Calls `path` (such as `/v3/kv/range`) with `body`, trying every member in turn.
    public func call(_ path: String, _ body: JSON) async throws -> JSONNode {
        var reauthenticated = false
        while true {
            do {
                return try await post(path, body, auth: try await authorization())
            } catch let error as EtcdCallError where error.isInvalidToken && !reauthenticated && credentials != nil {
                state.withLock { $0.token = nil }
                reauthenticated = true
            }
        }
    }

    /// The connection and the auth header a watch needs.
    func watchTarget() async throws -> (connection: HTTP1Client, authorization: String?) {
        let auth = try await authorization()
        return (connections[state.withLock { $0.current }], auth)
    }

    /// One call with retries over members, as `call` describes; nothing here re-authenticates.
    private func post(_ path: String, _ body: JSON, auth: String?) async throws -> JSONNode {
        let deadline = ContinuousClock.now + retryWindow
        let bytes = JSONWriter(pretty: false).bytes(body)
        var delay = Duration.milliseconds(50)
        var tried = 0
        var lastProblem = ""
        while true {
            try Task.checkCancellation()
            let index = state.withLock { $0.current }
            do {
                let response = try await connections[index].post(path, body: bytes, headers: auth.map { [("Authorization", $0)] } ?? [])
                return try EtcdCallError.check(data: response.body, status: response.status, endpoint: address.endpoints[index], path: path, url: address.url)
            } catch var error as EtcdCallError where !error.isRetryable {
                error.authenticated = auth != nil
                throw error
            } catch let error as StateError {
                throw error
            } catch HTTP1Error.refused(let why) {
                // TLS refused (a certificate, or a plain member): the same on every try.
                throw StateError.unavailable(location: address.url, reason: why)
            } catch let error as HTTP1Error {
                // An answer over the limit is no member's passing trouble: say so, naming the key.
                if case .tooLarge = error {
                    let key = body["key"]?.stringValue.flatMap(Base64.text).map { " for \(quoted($0))" } ?? ""
                    throw StateError.unavailable(location: address.url, reason: "\(address.endpoints[index]) answered \(path)\(key): \(error)")
                }
                try Task.checkCancellation()
                lastProblem = "\(address.endpoints[index]): \(error)"
            } catch {
                try Task.checkCancellation()
                lastProblem = "\(address.endpoints[index]): \((error as? EtcdCallError)?.message ?? "\(error)")"
            }
            // Next member; after a full round, wait a little before the next.
            let count = address.endpoints.count
            state.withLock { if $0.current == index { $0.current = (index + 1) % count } }
            tried += 1
            if tried % address.endpoints.count == 0 {
                if ContinuousClock.now + delay >= deadline {
                    throw StateError.unavailable(location: address.url, reason: "no etcd member answered \(path) within \(DurationText.format(retryWindow)) (last: \(lastProblem))")
                }
                try await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(1))
            }
        }
    }
}

/// An answer from the gateway that is an error, or is not what the gateway sends. It is told
/// apart by its gRPC code, or by the HTTP status the gateway maps that code to, never by its
/// message, which etcd may word differently from one version to the next.
struct EtcdCallError: Error, CustomStringConvertible {
    var status: Int
    /// The gRPC code, when the answer gave one.
    var code: Int?
    var message: String
    var url: String
    /// Whether the call carried credentials.
    var authenticated = false

    /// What kind of failure it is (gRPC's codes, as etcd uses them).
    enum Kind: Equatable {
        /// No leader, a leader change, a timeout, a stopped member (Unavailable, DeadlineExceeded,
        /// and the HTTP 502, 503 and 504 of a gateway or a proxy): another member, or a later
        /// try, may do.
        case unavailable
        /// Too many requests (ResourceExhausted, HTTP 429): a later try may do.
        case throttled
        /// The auth token is invalid or has expired (Unauthenticated, HTTP 401).
        case unauthenticated
        /// The user may not do this (PermissionDenied, HTTP 403).
        case permissionDenied
        /// The request is refused as it is: a missing user, wrong credentials, too large
        /// (InvalidArgument, FailedPrecondition, HTTP 400).
        case invalid
        /// A lease or key is gone (NotFound, HTTP 404).
        case notFound
        case other
    }

    var kind: Kind {
        switch code {
        case 4?, 14?: return .unavailable
        case 8?: return .throttled
        case 16?: return .unauthenticated
        case 7?: return .permissionDenied
        case 3?, 9?, 11?: return .invalid
        case 5?: return .notFound
        case .some: return .other
        case nil: break
        }
        switch status {
        case 0, 502, 503, 504: return .unavailable
        case 429: return .throttled
        case 401: return .unauthenticated
        case 403: return .permissionDenied
        case 400: return .invalid
        case 404: return .notFound
        default: return .other
        }
    }

    var description: String {
        var hint = ""
        if kind == .invalid && !authenticated { hint = " (if etcd has auth on, set FIRM_ETCD_USER and FIRM_ETCD_PASSWORD)" }
        if kind == .permissionDenied { hint = " (the etcd user needs a role with readwrite on the prefix: see docs/state.md)" }
        if message.contains("CommonName of client") {
            hint = " (with auth on, etcd's JSON gateway refuses a client certificate that has a Common Name: give FIRM_ETCD_CERT one without, and the user in FIRM_ETCD_USER; see docs/security.md)"
        }
        return "\(url): etcd answered: \(message)\(hint)"
    }

    /// Another member, or a later try, may do.
    var isRetryable: Bool { kind == .unavailable || kind == .throttled }

    /// The token must be renewed.
    var isInvalidToken: Bool { kind == .unauthenticated }

    /// The answer's JSON when it is a success; otherwise what went wrong, as an EtcdCallError
    /// (etcd's own errors) or a StateError (an answer that is no etcd answer).
    static func check(data: [UInt8], status: Int, endpoint: String, path: String, url: String) throws -> JSONNode {
        guard data.count <= EtcdClient.maxResponse else {
            throw StateError.unavailable(location: url, reason: "\(endpoint) answered \(path) with \(data.count) bytes, more than firm reads")
        }
        let node: JSONNode
        do { node = try JSONReader.parse(data, maxDepth: 32) } catch {
            let text = String(decoding: data.prefix(120), as: UTF8.self).filter { !$0.isNewline }
            if (200..<300).contains(status) {
                throw StateError.unavailable(location: url, reason: "\(endpoint) answered \(path) with something that is not JSON (\(error)): \(quoted(text))")
            }
            throw EtcdCallError(status: status, code: nil, message: "HTTP \(status) \(quoted(text))", url: url)
        }
        guard case .object = node.kind else {
            throw StateError.unavailable(location: url, reason: "\(endpoint) answered \(path) with \(node.typeName), not an object")
        }
        if let error = node.member("error") {
            // Unary calls answer {"error", "message", "code"}; streams, {"error": {"message", "grpc_code"}}.
            let said = node.member("message")?.plain.stringValue ?? error.member("message")?.plain.stringValue ?? error.plain.stringValue ?? "an error"
            let message = ControlCharacters.outside(said)
            let code = node.member("code")?.plain.intValue ?? error.member("grpc_code")?.plain.intValue
            throw EtcdCallError(status: status, code: code, message: message, url: url)
        }
        guard (200..<300).contains(status) else {
            throw EtcdCallError(status: status, code: nil, message: "HTTP \(status)", url: url)
        }
        return node
    }
}
