import Foundation

/// A CA, server certificates and a client certificate made with the `openssl` command in a
/// temp folder, for the TLS tests: `server(...)` makes a server certificate with the given
/// subject alternative names and life, signed by `ca` (or by a CA of its own, one firm is not
/// told of, with `foreignCA`). Files are PEM, keys unencrypted P-256.
package final class TestCertificates: @unchecked Sendable {
    package let folder = TempDirectory()
    package var caFile: String { folder.file("ca.pem") }
    package var clientCertificate: String { folder.file("client.pem") }
    package var clientKey: String { folder.file("client.key") }

    package struct Server: Sendable {
        package var certificate: String
        package var key: String
        /// The CA that signs client certificates, which the server trusts.
        package var clientCA: String
    }

    package init() throws {
        try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
                     "-subj", "/CN=firm-test-ca", "-days", "2"])
        // No Common Name: etcd's JSON gateway refuses a client certificate that has one when
        // auth is on (the user comes from FIRM_ETCD_USER and FIRM_ETCD_PASSWORD instead).
        try sign("client", subject: "/O=firm-test-client", extensions: "extendedKeyUsage=clientAuth", days: 2, ca: "ca")
    }

    /// A server certificate for `sans` (such as "IP:127.0.0.1,DNS:localhost"), valid for
    /// `days` (-1: expired yesterday), signed by the test CA, or by another CA. It is a client
    /// certificate too: etcd's JSON gateway calls the member's own gRPC with it.
    package func server(_ name: String, sans: String = "IP:127.0.0.1,DNS:localhost", days: Int = 2, foreignCA: Bool = false) throws -> Server {
        var ca = "ca"
        if foreignCA {
            ca = "other-ca"
            if !folder.exists("other-ca.pem") {
                try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "other-ca.key",
                             "-out", "other-ca.pem", "-subj", "/CN=firm-test-other-ca", "-days", "2"])
            }
        }
        try sign(name, subject: "/CN=\(name)", extensions: "subjectAltName=\(sans)\nextendedKeyUsage=serverAuth,clientAuth", days: days, ca: ca)
        return Server(certificate: folder.file("\(name).pem"), key: folder.file("\(name).key"), clientCA: caFile)
    }

    private func sign(_ name: String, subject: String, extensions: String, days: Int, ca: String) throws {
        folder.write("\(name).ext", extensions + "\n")
        try openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "\(name).key", "-out", "\(name).csr", "-subj", subject])
        try openssl(["x509", "-req", "-in", "\(name).csr", "-CA", "\(ca).pem", "-CAkey", "\(ca).key", "-CAcreateserial", "-days", String(days),
                     "-extfile", "\(name).ext", "-out", "\(name).pem"])
    }

    private func openssl(_ arguments: [String]) throws {
        let tool = ["/usr/bin/openssl", "/usr/local/bin/openssl"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "/usr/bin/openssl"
        let result = try runTool(tool, arguments, in: folder.path)
        guard result.code == 0 else { throw SetupError("openssl \(arguments.prefix(2).joined(separator: " ")) failed: \(result.output)") }
    }
}
