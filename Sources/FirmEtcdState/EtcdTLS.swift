import FirmBase
import FirmModel
import FirmOpenSSL

/// The TLS of an `etcds://` address, from the environment: the CAs that sign the members'
/// certificates (`FIRM_ETCD_CACERT`, a PEM file; the system's store when unset) and the
/// client certificate and key etcd's `--client-cert-auth` asks for (`FIRM_ETCD_CERT`,
/// `FIRM_ETCD_KEY`, both or neither). Those are refused for a plain `etcd://` address, where
/// they would be silently unused.
enum EtcdTLS {
    static let variables = ["FIRM_ETCD_CACERT", "FIRM_ETCD_CERT", "FIRM_ETCD_KEY"]

    /// The TLS context for `address`'s members, or nil for plain `etcd://`.
    static func context(for address: EtcdAddress, environment: Environment) throws(StateError) -> TLSContext? {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        guard address.tls else {
            if let set = variables.first(where: { value($0) != nil }) {
                throw .unavailable(location: address.url, reason: "\(set) is set but the address is plain etcd://; use etcds:// to speak TLS to etcd")
            }
            return nil
        }
        let certificate = value("FIRM_ETCD_CERT"), key = value("FIRM_ETCD_KEY")
        if certificate != nil && key == nil { throw .unavailable(location: address.url, reason: "FIRM_ETCD_CERT is set but FIRM_ETCD_KEY is not") }
        if key != nil && certificate == nil { throw .unavailable(location: address.url, reason: "FIRM_ETCD_KEY is set but FIRM_ETCD_CERT is not") }
        do {
            return try TLSContext(caFile: value("FIRM_ETCD_CACERT"), certificate: certificate, key: key, trustHint: "FIRM_ETCD_CACERT")
        } catch {
            throw .unavailable(location: address.url, reason: "etcds://: \(error)")
        }
    }
}
