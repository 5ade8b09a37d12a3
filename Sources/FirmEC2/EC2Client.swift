import Foundation
import FirmBase
import FirmModel
import FirmOpenSSL

/// The EC2 Query API over HTTP: form-encoded POSTs signed with SigV4, XML answers. Every
/// answer is checked: EC2's XML error becomes a ProviderError whose kind follows its code, and
/// anything that is not XML is an error naming the HTTP status. Each call has one deadline for
/// all of it (connecting, sending and reading the whole answer), `requestTimeout`.
///
/// Every endpoint is spoken to with firm's own HTTP/1.1 client, which reads what URLSession
/// can't (an answer with trailers stops the process in URLSession on Linux) and keeps its
/// connections: `http://` (moto, LocalStack, a proxy) in plain TCP, `https://` (AWS) over
/// TLS 1.2 or newer through the system's OpenSSL (FirmOpenSSL), verified against the system's
/// store or `AWS_CA_BUNDLE`, as AWS's own tools read it. A TLS refusal (an untrusted or
/// expired certificate, a name mismatch) is terminal, never retried and never sent in plain.
public struct EC2Client: Sendable {
    public static let apiVersion = "2016-11-15"
    /// The largest answer read: far above any DescribeInstances page of 1,000 instances.
    static let maxResponse = 64 << 20

    public let provider: String
    public let endpoint: URL
    /// Each call's whole deadline.
    public let timeout: Duration
    let signer: SigV4
    let connection: HTTP1Client
    /// Hears of each throttled call tried again (shown with `-v`).
    let log: (@Sendable (String) -> Void)?
    /// Tries of a throttled call, as AWS's SDKs make them (their "standard" retry mode);
    /// what still fails goes to the action's own retries.
    static let throttleTries = 4

    /// `caBundle`: a PEM file of the CAs to trust for `https://` (AWS_CA_BUNDLE), else the
    /// system's store. Throws when OpenSSL can't be loaded or the bundle can't be read, and
    /// for an endpoint that is neither `http://` nor `https://`.
    public init(provider: String, credentials: AWSCredentials, endpoint: URL?, timeout: Duration = .seconds(30), caBundle: String? = nil,
                log: (@Sendable (String) -> Void)? = nil) throws(OpenSSLError) {
        self.log = log
        self.provider = provider
        self.timeout = timeout
        let endpoint = endpoint ?? URL(string: "https://ec2.\(credentials.region).amazonaws.com/")!
        self.endpoint = endpoint
        self.signer = SigV4(credentials: credentials.credentials, region: credentials.region, service: "ec2")
        guard let host = endpoint.host, endpoint.scheme == "http" || endpoint.scheme == "https" else {
            throw .failed("the endpoint \(endpoint.absoluteString)", errors: "an http:// or https:// URL with a host is expected")
        }
        let tls = endpoint.scheme == "https"
        let security = tls ? try TLSContext(caFile: caBundle, trustHint: "AWS_CA_BUNDLE") : nil
        self.connection = HTTP1Client(host: host, port: endpoint.port ?? (tls ? 443 : 80), timeout: timeout, maxBody: Self.maxResponse,
                                      hostHeader: Self.hostHeader(endpoint), contentType: Self.contentType, security: security)
    }

    static let contentType = "application/x-www-form-urlencoded; charset=utf-8"

    /// The Host header as SigV4 signs it: the host, and the port when the URL names one.
    static func hostHeader(_ endpoint: URL) -> String {
        var host = endpoint.host ?? ""
        if let port = endpoint.port { host += ":\(port)" }
        return host
    }

    /// The body of a Query API call: `Action`, `Version`, then the parameters, form-encoded
    /// (a space as `+`, as HTML forms and botocore's re-encoding of them do, so that servers
    /// that check the signature against the parsed form, such as moto, agree on the bytes).
    static func body(_ action: String, _ parameters: [(String, String)], version: String = apiVersion) -> String {
        func form(_ text: String) -> String { SigV4.encode(text).replacingOccurrences(of: "%20", with: "+") }
        return ([("Action", action), ("Version", version)] + parameters).map { "\(form($0.0))=\(form($0.1))" }.joined(separator: "&")
    }

    /// Calls `action`; the answer's root element, or a ProviderError for `operation`. A call
    /// EC2 throttled was not carried out, so it is tried again here, after a jittered backoff.
    public func call(_ action: String, _ parameters: [(String, String)] = [], operation: String) async throws -> XMLTree {
        var attempt = 1
        while true {
            do {
                return try await once(action, parameters, operation: operation)
            } catch let error as ProviderError where EC2Errors.throttlingCodes.contains(error.code ?? "") && attempt < Self.throttleTries {
                let delay = Duration.milliseconds(Int.random(in: 0...(100 << attempt)))
                log?("\(action) throttled (\(error.code ?? "")); trying again in \(DurationText.format(delay)) (try \(attempt + 1) of \(Self.throttleTries))")
                try await Task.sleep(for: delay)
                attempt += 1
            }
        }
    }

    func once(_ action: String, _ parameters: [(String, String)], operation: String) async throws -> XMLTree {
        let body = Array(Self.body(action, parameters).utf8)
        let path = endpoint.path.isEmpty ? "/" : endpoint.path
        let signed = signer.sign(SigV4.Request(method: "POST", path: path, headers: [("Host", Self.hostHeader(endpoint)), ("Content-Type", Self.contentType)],
                                               body: body), at: Date())
        let status: Int, data: [UInt8]
        do {
            (status, data) = try await send(path, body, signed.headers)
        } catch is CancellationError {
            throw CancellationError()
        } catch HTTP1Error.refused(let why) {
            throw ProviderError(provider: provider, operation: operation, message: "\(action) to \(endpoint.absoluteString): \(why)", kind: .terminal, code: "TLSRefused")
        } catch let error as HTTP1Error {
            if case .tooLarge = error {
                throw ProviderError(provider: provider, operation: operation, message: "\(action) to \(endpoint.absoluteString): \(error)", kind: .terminal, code: "ResponseTooLarge")
            }
            throw ProviderError(provider: provider, operation: operation, message: "\(action) to \(endpoint.absoluteString) failed: \(error)", kind: .retryable,
                                code: "ConnectionError")
        } catch {
            try Task.checkCancellation()
            throw ProviderError(provider: provider, operation: operation, message: "\(action) to \(endpoint.absoluteString) failed: \(error.localizedDescription)",
                                kind: .retryable, code: "ConnectionError")
        }
        guard data.count <= Self.maxResponse else {
            throw ProviderError(provider: provider, operation: operation, message: "\(action) answered \(data.count) bytes, more than firm reads (\(Self.maxResponse))",
                                kind: .terminal, code: "ResponseTooLarge")
        }
        let tree = XMLTree.parse(Data(data))
        if (200..<300).contains(status), let tree, tree.name != "Response" || tree["Errors"] == nil {
            return tree
        }
        throw EC2Errors.error(provider: provider, operation: operation, action: action, status: status, tree: tree, body: Data(data))
    }

    /// One POST; the status and the body.
    private func send(_ path: String, _ body: [UInt8], _ headers: [(String, String)]) async throws -> (Int, [UInt8]) {
        // The client sends Host and Content-Type itself, as signed.
        let rest = headers.filter { $0.0.lowercased() != "host" && $0.0.lowercased() != "content-type" }
        let response = try await connection.post(path, body: body, headers: rest)
        return (response.status, response.body)
    }
}
