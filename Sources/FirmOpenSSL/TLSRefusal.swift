import Foundation
import FirmBase

/// Why a TLS connection failed, in words that name the endpoint and say what to do: the
/// server's certificate (unknown CA, expired, not for this host), the client certificate the
/// server asked for, or a server that does not speak TLS at all. These are refusals
/// (`HTTP1Error.refused`): trying again meets the same. Anything else (a reset, a close) is a
/// broken connection (`HTTP1Error.connection`). OpenSSL's own text is always appended.
struct TLSRefusal {
    let library: OpenSSL
    let endpoint: String
    let host: String
    /// The setting that names the trusted CAs, for the advice on an unknown CA.
    let trustHint: String

    // X.509 verification results (x509_vfy.h).
    static let unknownIssuer: Set<Int> = [2, 18, 19, 20, 21]
    static let expired = 10
    static let notYetValid = 9
    static let nameMismatch: Set<Int> = [62, 63, 64]
    // Reason codes of the error queue (sslerr.h); an alert from the server is 1000 + its number.
    static let notTLS: Set<Int> = [267, 198, 252, 313]  // wrong version number, packet length too long, unknown protocol, record layer failure
    static let certificateRequired = 1116
    static let badCertificate: Set<Int> = [1042, 1040]  // bad certificate, handshake failure
    static let unknownClientCA = 1048
    static let unexpectedEOF = 294

    /// The error for a call that failed with SSL_get_error's `code`; the error queue emptied.
    /// `handshaking`: the handshake had not completed.
    func error(ssl: OpaquePointer, code: Int32, errno savedErrno: Int32, handshaking: Bool) -> HTTP1Error {
        var codes: [UInt] = []
        while codes.count < 16 {
            let next = library.ERR_get_error()
            if next == 0 { break }
            codes.append(next)
        }
        library.ERR_clear_error()
        let texts = codes.map { OpenSSL.text(of: $0, with: library) }.joined(separator: "; ")
        let reasons = Set(codes.map(OpenSSL.reason))
        let verify = library.SSL_get_verify_result(ssl)
        let prefix = "TLS with \(endpoint) refused:"
        if verify != 0 {
            let said = library.X509_verify_cert_error_string(verify).map { String(cString: $0) } ?? "error \(verify)"
            let why: String
            if Self.unknownIssuer.contains(verify) {
                why = "the server's certificate is not signed by a CA firm trusts (give its CA in \(trustHint))"
            } else if verify == Self.expired {
                why = "the server's certificate has expired"
            } else if verify == Self.notYetValid {
                why = "the server's certificate is not valid yet"
            } else if Self.nameMismatch.contains(verify) {
                why = "the server's certificate is not for \(host) (it must name it in its subject alternative names)"
            } else {
                why = "the server's certificate failed verification"
            }
            return .refused("\(prefix) \(why) (OpenSSL: \(said))")
        }
        if !reasons.isDisjoint(with: Self.notTLS) {
            return .refused("\(prefix) the server does not speak TLS (it may be plain HTTP: use etcd:// or http:// for a plain server) (OpenSSL: \(texts))")
        }
        if reasons.contains(Self.certificateRequired) || !reasons.isDisjoint(with: Self.badCertificate) {
            return .refused("\(prefix) the server wants a client certificate and none it accepts was offered (OpenSSL: \(texts))")
        }
        if reasons.contains(Self.unknownClientCA) {
            return .refused("\(prefix) the server does not trust the client certificate's CA (OpenSSL: \(texts))")
        }
        let closed = reasons.contains(Self.unexpectedEOF) || (code == OpenSSL.SSL_ERROR_SYSCALL && savedErrno == 0)
        if handshaking && closed {
            // No word of TLS back: a plain server (etcd's plain port closes at once) or one
            // that drops what it can't read.
            return .refused("\(prefix) the server closed the connection without answering the TLS handshake: it does not speak TLS here (a plain-HTTP member: use etcd:// or http://) (OpenSSL: \(texts.isEmpty ? "end of stream" : texts))")
        }
        if code == OpenSSL.SSL_ERROR_SYSCALL {
            let why = savedErrno == 0 ? "the server closed the connection" : FileErrors.errno(savedErrno)
            return .connection("TLS with \(endpoint): \(why)" + (texts.isEmpty ? "" : " (OpenSSL: \(texts))"))
        }
        return .connection("TLS with \(endpoint) failed: " + (texts.isEmpty ? "SSL_get_error \(code)" : texts))
    }
}
