import Foundation
import Testing
import FirmTestSupport

/// `etcds://` refusals, each with its own message, against real etcd members serving
/// certificates made by the `openssl` command: a CA firm is not told of, a certificate for
/// another name, an expired one, no client certificate, and a member that speaks plain HTTP.
/// Nothing is written on any of them. The lifecycle, lock, fencing and crash tests run over
/// `etcds://` too (`StateBackendUnderTest.etcds`).
@Suite("End to end: etcd over TLS", .serialized, .enabled(if: EtcdCluster.required))
struct EtcdTLSTests {
    @Test("a wrong CA, a name mismatch, an expired certificate, no client certificate and a plain member are each refused with their own message; nothing is written")
    func refusals() throws {
        let certificates = try TestCertificates()
        defer { certificates.folder.remove() }
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("lab.json", Blueprints.lab())
        let good = try EtcdCluster(tls: certificates.server("server"))
        defer { good.stop() }
        let client = ["FIRM_ETCD_CACERT": certificates.caFile, "FIRM_ETCD_CERT": certificates.clientCertificate, "FIRM_ETCD_KEY": certificates.clientKey]

        var cases: [(name: String, etcd: EtcdCluster, url: String, environment: [String: String], expect: String)] = [
            ("no client certificate", good, good.url(), ["FIRM_ETCD_CACERT": certificates.caFile], "wants a client certificate"),
            ("the system's store, not the test CA", good, good.url(), client.filter { $0.key != "FIRM_ETCD_CACERT" }, "not signed by a CA firm trusts"),
            ("etcds:// to a plain member", good, "etcds://127.0.0.1:\(good.members[0].plainPort)/firm", client, "does not speak TLS"),
        ]
        var others: [EtcdCluster] = []
        defer { for etcd in others { etcd.stop() } }
        for (name, server, expect) in [("a CA firm is not told of", try certificates.server("foreign", foreignCA: true), "not signed by a CA firm trusts"),
                                       ("a certificate for another name", try certificates.server("elsewhere", sans: "DNS:elsewhere.test"), "is not for 127.0.0.1"),
                                       ("an expired certificate", try certificates.server("expired", days: -1), "has expired")] {
            let etcd = try EtcdCluster(tls: server)
            others.append(etcd)
            cases.append((name, etcd, etcd.url(), client, expect))
        }
        var messages: Set<String> = []
        for c in cases {
            let result = try firm.run(["apply", "lab.json", "--auto-approve", "--state", c.url], environment: Blueprints.secretEnv.merging(c.environment) { $1 })
            #expect(result.code == 1, "\(c.name): \(result.output)")
            #expect(result.stderr.contains(c.expect), "\(c.name): \(result.stderr)")
            #expect(result.stderr.contains(c.url) && result.stderr.contains("refused"), "\(c.name) names the endpoint: \(result.stderr)")
            #expect(try c.etcd.keys("/firm/").isEmpty, "\(c.name): nothing written to etcd")
            #expect(!firm.exists(".firm/sim/sim.world"), "\(c.name): nothing deployed")
            messages.insert(c.expect)
        }
        #expect(messages.count == 5, "each refusal has its own message")
        // The same member with the right CA and client certificate works, by name and by address.
        for url in [good.url(), "etcds://localhost:\(good.members[0].clientPort)/firm"] {
            let right = try firm.run(["plan", "lab.json", "--state", url], environment: Blueprints.secretEnv.merging(client) { $1 })
            #expect(right.code == 0, "\(url): \(right.output)")
        }
    }

    @Test("TLS settings that can't work are refused before anything is sent: a key without its certificate, a missing or non-PEM CA file, a key of another certificate, TLS files with plain etcd://")
    func badSettings() throws {
        let certificates = try TestCertificates()
        defer { certificates.folder.remove() }
        let other = try certificates.server("other")
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("lab.json", Blueprints.lab())
        firm.write("not-pem.txt", "hello")
        let url = "etcds://127.0.0.1:\(freePort())/firm"
        let cases: [([String: String], String)] = [
            (["FIRM_ETCD_KEY": certificates.clientKey], "FIRM_ETCD_KEY is set but FIRM_ETCD_CERT is not"),
            (["FIRM_ETCD_CACERT": firm.path("missing.pem")], "cannot read the CA certificates in \(firm.path("missing.pem"))"),
            (["FIRM_ETCD_CACERT": firm.path("not-pem.txt")], "cannot read the CA certificates in \(firm.path("not-pem.txt"))"),
            (["FIRM_ETCD_CERT": certificates.clientCertificate, "FIRM_ETCD_KEY": other.key], "cannot use the client key in \(other.key)"),
        ]
        for (environment, expect) in cases {
            let result = try firm.run(["plan", "lab.json", "--state", url], environment: Blueprints.secretEnv.merging(environment) { $1 })
            #expect(result.code == 1 && result.stderr.contains(expect), "\(environment): \(result.output)")
        }
        let plain = try firm.run(["plan", "lab.json", "--state", "etcd://127.0.0.1:\(freePort())/firm"],
                                 environment: Blueprints.secretEnv.merging(["FIRM_ETCD_CACERT": certificates.caFile]) { $1 })
        #expect(plain.code == 1 && plain.stderr.contains("use etcds://"), "\(plain.output)")
    }
}
