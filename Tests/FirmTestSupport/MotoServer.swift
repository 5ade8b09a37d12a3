import Foundation
import FirmBase
import FirmEC2

/// moto's server (installed by scripts/test in a venv, `$FIRM_MOTO_SERVER`), started on a free
/// port of 127.0.0.1 with signature checking on: an IAM user with `ec2:*` and its access key are
/// made while auth is off, then `/moto-api/reset-auth` turns it on. Stopped by `stop()`.
package final class MotoServer: @unchecked Sendable {
    package static let executable = ProcessInfo.processInfo.environment["FIRM_MOTO_SERVER"]
    /// Whether the EC2 tests run: under CI always (a missing moto fails them), else when
    /// scripts/test has set moto up.
    package static let required = ProcessInfo.processInfo.environment["CI"] == "true" || executable != nil

    let process = Process()
    package let port: Int
    package private(set) var accessKey = ""
    package private(set) var secret = ""
    package var endpoint: String { "http://127.0.0.1:\(port)" }
    /// The environment `firm` needs to reach it as the IAM user.
    package var environment: [String: String] { ["AWS_ACCESS_KEY_ID": accessKey, "AWS_SECRET_ACCESS_KEY": secret] }

    /// `script`: a Python file that starts moto's server itself (with moto_server's arguments),
    /// run by the python of moto's venv: Tests/EndToEndTests/Fixtures/moto_ec2_standin.py adds
    /// what real EC2 does and moto lacks. `allow`: the IAM user's actions (EC2 only by default).
    package init(script: String? = nil, allow: [String] = ["ec2:*"]) throws {
        let executable = try Self.executable.orThrow("scripts/test installs moto[server] and sets FIRM_MOTO_SERVER")
        port = freePort()
        let arguments = ["-H", "127.0.0.1", "-p", String(port)]
        if let script {
            let python = URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("python")
            process.executableURL = python
            process.arguments = [script] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        do {
            guard waitUntil(.seconds(30), { (try? self.http("GET", "/moto-api/").status) == 200 }) else {
                throw SetupError("moto_server did not answer on port \(port)")
            }
            try enableAuth(allow)
        } catch {
            stop()
            throw error
        }
    }

    /// Stops the server with SIGKILL: it keeps nothing worth flushing, and a child may inherit
    /// a blocked SIGTERM or SIGINT from the test runner's threads.
    package func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// One HTTP request to the server.
    package func http(_ method: String, _ path: String, body: String = "", headers: [String: String] = [:]) throws -> (status: Int, body: Data) {
        try SyncHTTP.request(endpoint + path, method: method, body: body, headers: headers)
    }

    /// A signed Query API call (EC2 or IAM), as the given user; the answer's tree and status.
    package func query(_ service: String, _ action: String, _ parameters: [(String, String)] = [], version: String = EC2Client.apiVersion,
                       accessKey: String? = nil, secret: String? = nil) throws -> (status: Int, tree: XMLTree?) {
        // Form-encoded as EC2Client encodes it: a space as "+", which moto's signature check expects.
        func form(_ text: String) -> String { SigV4.encode(text).replacingOccurrences(of: "%20", with: "+") }
        let body = ([("Action", action), ("Version", version)] + parameters).map { "\(form($0.0))=\(form($0.1))" }.joined(separator: "&")
        let signer = SigV4(credentials: SigV4.Credentials(accessKey: accessKey ?? (self.accessKey.isEmpty ? "AKIAFIRMSETUP" : self.accessKey),
                                                          secret: secret ?? (self.secret.isEmpty ? "setup" : self.secret)),
                           region: "us-east-1", service: service)
        let contentType = "application/x-www-form-urlencoded; charset=utf-8"
        let signed = signer.sign(SigV4.Request(method: "POST", path: "/", headers: [("Host", "127.0.0.1:\(port)"), ("Content-Type", contentType)],
                                               body: Array(body.utf8)), at: Date())
        var headers = ["Content-Type": contentType]
        for (name, value) in signed.headers { headers[name] = value }
        let (status, data) = try http("POST", "/", body: body, headers: headers)
        return (status, XMLTree.parse(data))
    }

    /// An EC2 call as the IAM user; throws, failing the test, when EC2 refuses it.
    @discardableResult
    package func ec2(_ action: String, _ parameters: [(String, String)] = []) throws -> XMLTree {
        let (status, tree) = try query("ec2", action, parameters)
        guard status == 200, let tree else { throw SetupError("\(action) answered HTTP \(status): \(String(describing: tree))") }
        return tree
    }

    private func enableAuth(_ allow: [String]) throws {
        let actions = allow.map { "\"\($0)\"" }.joined(separator: ", ")
        let policy = #"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["# + actions + #"], "Resource": "*"}]}"#
        _ = try query("iam", "CreateUser", [("UserName", "firm")], version: "2010-05-08")
        _ = try query("iam", "PutUserPolicy", [("UserName", "firm"), ("PolicyName", "ec2"), ("PolicyDocument", policy)], version: "2010-05-08")
        let key = try query("iam", "CreateAccessKey", [("UserName", "firm")], version: "2010-05-08").tree
        accessKey = try (key?.all("AccessKeyId").first?.text).orThrow("CreateAccessKey gave no AccessKeyId: \(String(describing: key))")
        secret = try (key?.all("SecretAccessKey").first?.text).orThrow("CreateAccessKey gave no SecretAccessKey")
        let reset = try http("POST", "/moto-api/reset-auth", body: "0", headers: ["Content-Type": "text/plain"])
        guard reset.status == 200 else { throw SetupError("reset-auth answered \(reset.status)") }
    }
}
