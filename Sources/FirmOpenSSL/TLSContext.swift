import Foundation
import FirmBase

/// A TLS client's settings, made once and shared by every connection of an HTTP1Client: TLS
/// 1.2 or newer, the server verified against `caFile` (PEM) or else the system's store, and
/// a client certificate and key when given. `secure` makes each connection's `TLSStream`.
///
/// The OpenSSL context (`SSL_CTX`) is freed when this is; OpenSSL allows it to be used from
/// several threads at once to make connections, which is all that is done with it.
public final class TLSContext: HTTP1Security, @unchecked Sendable {
    let library: OpenSSL
    private let context: OpaquePointer
    /// Where the trusted CAs come from, for the advice in a refusal ("FIRM_ETCD_CACERT").
    let trustHint: String

    /// - Parameters:
    ///   - caFile: a PEM file of the CA certificates to trust; nil for the system's store.
    ///   - certificate, key: the client's certificate chain and private key (PEM), both or neither.
    ///   - trustHint: the setting that names the CA file, for refusals' advice.
    package init(caFile: String?, certificate: String? = nil, key: String? = nil, trustHint: String) throws(OpenSSLError) {
        let library = try OpenSSL.load()
        self.library = library
        self.trustHint = trustHint
        // OpenSSL writes to the socket with write(2): a server that has gone away must not
        // stop the process with SIGPIPE (firm ignores it from its start; so does this).
        signal(SIGPIPE, SIG_IGN)
        library.ERR_clear_error()
        guard let method = library.TLS_client_method(), let context = library.SSL_CTX_new(method) else {
            throw .failed("cannot make a TLS context", errors: library.errors())
        }
        self.context = context
        // From here, `deinit` frees the context on every path, thrown or not.
        guard library.SSL_CTX_ctrl(context, OpenSSL.SSL_CTRL_SET_MIN_PROTO_VERSION, OpenSSL.TLS1_2_VERSION, nil) == 1 else {
            throw .failed("cannot require TLS 1.2 or newer", errors: library.errors())
        }
        _ = library.SSL_CTX_ctrl(context, OpenSSL.SSL_CTRL_MODE, OpenSSL.SSL_MODE_ENABLE_PARTIAL_WRITE | OpenSSL.SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER, nil)
        library.SSL_CTX_set_verify(context, OpenSSL.SSL_VERIFY_PEER, nil)
        if let caFile {
            try Self.readable(caFile, "the CA certificates")
            guard library.SSL_CTX_load_verify_locations(context, caFile, nil) == 1 else {
                throw .failed("cannot read the CA certificates in \(caFile) (PEM expected)", errors: library.errors())
            }
        } else if library.SSL_CTX_set_default_verify_paths(context) != 1 {
            throw .failed("cannot load the system's CA certificates", errors: library.errors())
        }
        switch (certificate, key) {
        case (nil, nil): break
        case (let certificate?, let key?):
            try Self.readable(certificate, "the client certificate")
            try Self.readable(key, "the client key")
            guard library.SSL_CTX_use_certificate_chain_file(context, certificate) == 1 else {
                throw .failed("cannot read the client certificate in \(certificate) (PEM expected)", errors: library.errors())
            }
            guard library.SSL_CTX_use_PrivateKey_file(context, key, OpenSSL.SSL_FILETYPE_PEM) == 1 else {
                throw .failed("cannot use the client key in \(key) (the unencrypted PEM key of the certificate in \(certificate) expected)", errors: library.errors())
            }
            guard library.SSL_CTX_check_private_key(context) == 1 else {
                throw .failed("the client key in \(key) does not belong to the certificate in \(certificate)", errors: library.errors())
            }
        case (nil, let key?):
            throw .failed("a client key (\(key)) is given without its certificate", errors: "give both or neither")
        case (let certificate?, nil):
            throw .failed("a client certificate (\(certificate)) is given without its key", errors: "give both or neither")
        }
    }

    deinit {
        library.SSL_CTX_free(context)
    }

    /// A file OpenSSL is about to read, checked first for a clearer message than OpenSSL's.
    private static func readable(_ path: String, _ what: String) throws(OpenSSLError) {
        guard access(path, R_OK) == 0 else { throw .failed("cannot read \(what) in \(path)", errors: FileErrors.errno(errno)) }
    }

    public func secure(_ fd: Int32, host: String, port: Int, deadline: ContinuousClock.Instant) throws -> any HTTP1Stream {
        try TLSStream(fd: fd, context: context, library: library, host: host, endpoint: "\(host):\(port)", trustHint: trustHint, deadline: deadline)
    }
}
