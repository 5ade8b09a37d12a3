import Foundation
import Synchronization
import Testing
@testable import FirmBase
@testable import FirmModel
@testable import FirmPlanning
@testable import FirmExecution
@testable import FirmSimulated
@testable import FirmProcess
@testable import FirmEC2
@testable import FirmLocalState
@testable import FirmEtcdState
@testable import FirmSession
@testable import FirmDrift
@testable import Firmament

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif


/// moto's server (installed by scripts/test in a venv, `$FIRM_MOTO_SERVER`), started on a free
/// port of 127.0.0.1 with signature checking on: an IAM user with `ec2:*` and its access key are
/// made while auth is off, then `/moto-api/reset-auth` turns it on. Stopped by `stop()`.
final class MotoServer: @unchecked Sendable {
    static let executable = ProcessInfo.processInfo.environment["FIRM_MOTO_SERVER"]
    static let required = ProcessInfo.processInfo.environment["CI"] == "true" || executable != nil

    let process = Process()
    let port: Int
    private(set) var accessKey = ""
    private(set) var secret = ""
    var endpoint: String { "http://127.0.0.1:\(port)" }
    /// The environment `firm` needs to reach it as the IAM user.
    var environment: [String: String] { ["AWS_ACCESS_KEY_ID": accessKey, "AWS_SECRET_ACCESS_KEY": secret] }

    init() throws {
        let executable = try #require(Self.executable, "scripts/test installs moto[server] and sets FIRM_MOTO_SERVER")
        port = Self.freePort()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-H", "127.0.0.1", "-p", String(port)]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let up = waitUntil(.seconds(30)) { (try? self.http("GET", "/moto-api/").status) == 200 }
        try #require(up, "moto_server did not answer on port \(port)")
        try enableAuth()
    }

    /// Stops the server with SIGKILL: it keeps nothing worth flushing, and a child may inherit
    /// a blocked SIGTERM or SIGINT from the test runner's threads.
    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// A port nothing listens on right now.
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// One HTTP request, synchronously (URLSession's own threads do the work).
    func http(_ method: String, _ path: String, body: String = "", headers: [String: String] = [:]) throws -> (status: Int, body: Data) {
        var request = URLRequest(url: URL(string: endpoint + path)!)
        request.httpMethod = method
        if !body.isEmpty { request.httpBody = Data(body.utf8) }
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        let done = DispatchSemaphore(value: 0)
        let box = Mutex<(result: (Int, Data)?, failure: (any Error)?)>((nil, nil))
        URLSession.shared.dataTask(with: request) { data, response, error in
            box.withLock {
                if let error { $0.failure = error } else { $0.result = ((response as? HTTPURLResponse)?.statusCode ?? 0, data ?? Data()) }
            }
            done.signal()
        }.resume()
        done.wait()
        return try box.withLock {
            if let failure = $0.failure { throw failure }
            return $0.result!
        }
    }

    /// A signed Query API call (EC2 or IAM), as the given user; the answer's tree and status.
    func query(_ service: String, _ action: String, _ parameters: [(String, String)] = [], version: String = EC2Client.apiVersion,
               accessKey: String? = nil, secret: String? = nil) throws -> (status: Int, tree: XMLTree?) {
        let body = EC2Client.body(action, parameters, version: version)
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

    /// An EC2 call as the IAM user; fails the test when EC2 refuses it.
    @discardableResult
    func ec2(_ action: String, _ parameters: [(String, String)] = []) throws -> XMLTree {
        let (status, tree) = try query("ec2", action, parameters)
        try #require(status == 200 && tree != nil, "\(action) answered HTTP \(status): \(String(describing: tree))")
        return tree!
    }

    private func enableAuth() throws {
        let policy = #"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]}"#
        _ = try query("iam", "CreateUser", [("UserName", "firm")], version: "2010-05-08")
        _ = try query("iam", "PutUserPolicy", [("UserName", "firm"), ("PolicyName", "ec2"), ("PolicyDocument", policy)], version: "2010-05-08")
        let key = try query("iam", "CreateAccessKey", [("UserName", "firm")], version: "2010-05-08").tree
        accessKey = try #require(key?.all("AccessKeyId").first?.text)
        secret = try #require(key?.all("SecretAccessKey").first?.text)
        let reset = try http("POST", "/moto-api/reset-auth", body: "0", headers: ["Content-Type": "text/plain"])
        try #require(reset.status == 200, "reset-auth answered \(reset.status)")
    }

    /// The instances of a sandbox that are not terminated, by app tag.
    func instances(sandbox: String) throws -> [String: [EC2Instance]] {
        let answer = try ec2("DescribeInstances", [("Filter.1.Name", "tag:firm:sandbox"), ("Filter.1.Value.1", sandbox)])
        var byApp: [String: [EC2Instance]] = [:]
        for reservation in answer.items("reservationSet") {
            for item in reservation.items("instancesSet") {
                if let instance = EC2Instance(item), !instance.isGone { byApp[instance.tags["firm:app"] ?? "", default: []].append(instance) }
            }
        }
        return byApp
    }

    /// How many of each kind of sandbox resource are left (tagged with it, or named for it).
    func leftovers(sandbox: String) throws -> [String: Int] {
        let mine = [("Filter.1.Name", "tag:firm:sandbox"), ("Filter.1.Value.1", sandbox)]
        return [
            "instances": try instances(sandbox: sandbox).values.map(\.count).reduce(0, +),
            "vpcs": try ec2("DescribeVpcs", mine).items("vpcSet").count,
            "subnets": try ec2("DescribeSubnets", mine).items("subnetSet").count,
            "gateways": try ec2("DescribeInternetGateways", mine).items("internetGatewaySet").count,
            "groups": try ec2("DescribeSecurityGroups", [("Filter.1.Name", "group-name"), ("Filter.1.Value.1", "firm-\(sandbox)")]).items("securityGroupInfo").count,
            "keyPairs": try ec2("DescribeKeyPairs", [("Filter.1.Name", "key-name"), ("Filter.1.Value.1", "firm-\(sandbox)")]).items("keySet").count,
        ]
    }
}
