import Foundation
import FirmBase
import FirmModel

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The EC2 Query API over HTTP: form-encoded POSTs signed with SigV4, XML answers. Every
/// answer is checked: EC2's XML error becomes a ProviderError whose kind follows its code, and
/// anything that is not XML is an error naming the HTTP status.
public struct EC2Client: Sendable {
    public static let apiVersion = "2016-11-15"
    /// The largest answer read: far above any DescribeInstances page of 1,000 instances.
    static let maxResponse = 64 << 20

    public let provider: String
    public let endpoint: URL
    let signer: SigV4
    let session: URLSession
    /// Hears of each throttled call tried again (shown with `-v`).
    let log: (@Sendable (String) -> Void)?
    /// Tries of a throttled call, as AWS's SDKs make them (their "standard" retry mode);
    /// what still fails goes to the action's own retries.
    static let throttleTries = 4

    public init(provider: String, credentials: AWSCredentials, endpoint: URL?, log: (@Sendable (String) -> Void)? = nil) {
        self.log = log
        self.provider = provider
        self.endpoint = endpoint ?? URL(string: "https://ec2.\(credentials.region).amazonaws.com/")!
        self.signer = SigV4(credentials: credentials.credentials, region: credentials.region, service: "ec2")
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 60
        configuration.httpMaximumConnectionsPerHost = 64
        configuration.urlCache = nil
        self.session = URLSession(configuration: configuration)
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
        var host = endpoint.host ?? ""
        if let port = endpoint.port { host += ":\(port)" }
        let contentType = "application/x-www-form-urlencoded; charset=utf-8"
        let path = endpoint.path.isEmpty ? "/" : endpoint.path
        let signed = signer.sign(SigV4.Request(method: "POST", path: path, headers: [("Host", host), ("Content-Type", contentType)], body: body), at: Date())
        var request = URLRequest(url: endpoint)
        request.httpMethod = "POST"
        request.httpBody = Data(body)
        request.setValue(contentType, forHTTPHeaderField: "Content-Type")
        for (name, value) in signed.headers { request.setValue(value, forHTTPHeaderField: name) }

        let data: Data, response: URLResponse
        do {
            (data, response) = try await session.data(for: request)
        } catch let error as URLError where error.code == .cancelled {
            throw CancellationError()
        } catch {
            try Task.checkCancellation()
            throw ProviderError(provider: provider, operation: operation, message: "\(action) to \(endpoint.absoluteString) failed: \(error.localizedDescription)",
                                kind: .retryable, code: "ConnectionError")
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard data.count <= Self.maxResponse else {
            throw ProviderError(provider: provider, operation: operation, message: "\(action) answered \(data.count) bytes, more than firm reads (\(Self.maxResponse))",
                                kind: .terminal, code: "ResponseTooLarge")
        }
        let tree = XMLTree.parse(data)
        if (200..<300).contains(status), let tree, tree.name != "Response" || tree["Errors"] == nil {
            return tree
        }
        throw EC2Errors.error(provider: provider, operation: operation, action: action, status: status, tree: tree, body: data)
    }
}
