import Foundation

/// The system's OpenSSL 3, loaded at run time with `dlopen` the first time TLS or encryption
/// is used, so that the build needs no header or -dev package and a machine without OpenSSL
/// runs everything that does not need it. Only the functions firm calls are looked up; each
/// is a C function pointer of the exact type OpenSSL 3.0 declares. Macros of OpenSSL's
/// (`SSL_CTX_set_min_proto_version`, `SSL_set_tlsext_host_name`, `SSL_CTX_set_mode`) are
/// their `ctrl` calls, with the constants below.
///
/// Everything OpenSSL returns is checked where it is used, and every failure carries the
/// text of OpenSSL's error queue (`OpenSSL.errors()`).
package struct OpenSSL: Sendable {
    typealias Ptr = OpaquePointer?
    typealias Bytes = UnsafePointer<UInt8>?
    typealias MutableBytes = UnsafeMutablePointer<UInt8>?
    typealias CString = UnsafePointer<CChar>?

    // libcrypto: version, errors, randomness.
    let OpenSSL_version_num: @convention(c) () -> UInt
    let ERR_get_error: @convention(c) () -> UInt
    let ERR_error_string_n: @convention(c) (UInt, UnsafeMutablePointer<CChar>?, Int) -> Void
    let ERR_clear_error: @convention(c) () -> Void
    let RAND_bytes: @convention(c) (MutableBytes, Int32) -> Int32
    // libcrypto: X.509 checks.
    let X509_verify_cert_error_string: @convention(c) (Int) -> CString
    let X509_VERIFY_PARAM_set1_ip_asc: @convention(c) (Ptr, CString) -> Int32
    let X509_VERIFY_PARAM_set1_host: @convention(c) (Ptr, CString, Int) -> Int32
    // libcrypto: AES-256-GCM and key derivation.
    let EVP_CIPHER_CTX_new: @convention(c) () -> Ptr
    let EVP_CIPHER_CTX_free: @convention(c) (Ptr) -> Void
    let EVP_aes_256_gcm: @convention(c) () -> Ptr
    let EVP_CIPHER_CTX_ctrl: @convention(c) (Ptr, Int32, Int32, UnsafeMutableRawPointer?) -> Int32
    let EVP_EncryptInit_ex: @convention(c) (Ptr, Ptr, Ptr, Bytes, Bytes) -> Int32
    let EVP_EncryptUpdate: @convention(c) (Ptr, MutableBytes, UnsafeMutablePointer<Int32>?, Bytes, Int32) -> Int32
    let EVP_EncryptFinal_ex: @convention(c) (Ptr, MutableBytes, UnsafeMutablePointer<Int32>?) -> Int32
    let EVP_DecryptInit_ex: @convention(c) (Ptr, Ptr, Ptr, Bytes, Bytes) -> Int32
    let EVP_DecryptUpdate: @convention(c) (Ptr, MutableBytes, UnsafeMutablePointer<Int32>?, Bytes, Int32) -> Int32
    let EVP_DecryptFinal_ex: @convention(c) (Ptr, MutableBytes, UnsafeMutablePointer<Int32>?) -> Int32
    let EVP_sha1: @convention(c) () -> Ptr
    let EVP_sha256: @convention(c) () -> Ptr
    let PKCS5_PBKDF2_HMAC: @convention(c) (CString, Int32, Bytes, Int32, Int32, Ptr, Int32, MutableBytes) -> Int32
    // libssl: contexts.
    let TLS_client_method: @convention(c) () -> Ptr
    let SSL_CTX_new: @convention(c) (Ptr) -> Ptr
    let SSL_CTX_free: @convention(c) (Ptr) -> Void
    let SSL_CTX_ctrl: @convention(c) (Ptr, Int32, Int, UnsafeMutableRawPointer?) -> Int
    let SSL_CTX_set_verify: @convention(c) (Ptr, Int32, OpaquePointer?) -> Void
    let SSL_CTX_load_verify_locations: @convention(c) (Ptr, CString, CString) -> Int32
    let SSL_CTX_set_default_verify_paths: @convention(c) (Ptr) -> Int32
    let SSL_CTX_use_certificate_chain_file: @convention(c) (Ptr, CString) -> Int32
    let SSL_CTX_use_PrivateKey_file: @convention(c) (Ptr, CString, Int32) -> Int32
    let SSL_CTX_check_private_key: @convention(c) (Ptr) -> Int32
    // libssl: connections.
    let SSL_new: @convention(c) (Ptr) -> Ptr
    let SSL_free: @convention(c) (Ptr) -> Void
    let SSL_set_fd: @convention(c) (Ptr, Int32) -> Int32
    let SSL_ctrl: @convention(c) (Ptr, Int32, Int, UnsafeMutableRawPointer?) -> Int
    let SSL_get0_param: @convention(c) (Ptr) -> Ptr
    let SSL_connect: @convention(c) (Ptr) -> Int32
    let SSL_read: @convention(c) (Ptr, UnsafeMutableRawPointer?, Int32) -> Int32
    let SSL_peek: @convention(c) (Ptr, UnsafeMutableRawPointer?, Int32) -> Int32
    let SSL_write: @convention(c) (Ptr, UnsafeRawPointer?, Int32) -> Int32
    let SSL_get_error: @convention(c) (Ptr, Int32) -> Int32
    let SSL_shutdown: @convention(c) (Ptr) -> Int32
    let SSL_get_verify_result: @convention(c) (Ptr) -> Int

    // Constants of OpenSSL 3's headers.
    static let TLS1_2_VERSION = 0x0303
    static let SSL_CTRL_SET_MIN_PROTO_VERSION: Int32 = 123
    static let SSL_CTRL_MODE: Int32 = 33
    static let SSL_CTRL_SET_TLSEXT_HOSTNAME: Int32 = 55
    static let SSL_MODE_ENABLE_PARTIAL_WRITE = 0x1
    static let SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER = 0x2
    static let SSL_VERIFY_PEER: Int32 = 1
    static let SSL_FILETYPE_PEM: Int32 = 1
    static let SSL_ERROR_SSL: Int32 = 1
    static let SSL_ERROR_WANT_READ: Int32 = 2
    static let SSL_ERROR_WANT_WRITE: Int32 = 3
    static let SSL_ERROR_SYSCALL: Int32 = 5
    static let SSL_ERROR_ZERO_RETURN: Int32 = 6
    static let EVP_CTRL_GCM_SET_IVLEN: Int32 = 0x9
    static let EVP_CTRL_GCM_GET_TAG: Int32 = 0x10
    static let EVP_CTRL_GCM_SET_TAG: Int32 = 0x11

    /// The library, loaded once; the error when it can't be (missing, or older than 3.0).
    package static func load() throws(OpenSSLError) -> OpenSSL { try loaded.get() }

    private static let loaded: Result<OpenSSL, OpenSSLError> = Result { () throws(OpenSSLError) in try OpenSSL(crypto: "libcrypto.so.3", ssl: "libssl.so.3") }

    /// The version OpenSSL reports, such as "3.0.19", or the load error's text.
    package static var versionText: String {
        guard let library = try? load() else { return "not loaded" }
        let n = library.OpenSSL_version_num()
        return "\(n >> 28).\((n >> 20) & 0xff).\((n >> 4) & 0xffff)"
    }

    init(crypto: String, ssl: String) throws(OpenSSLError) {
        let crypto = try Self.open(crypto)
        let ssl = try Self.open(ssl)
        func symbol<T>(_ handle: UnsafeMutableRawPointer, _ library: String, _ name: String, _: T.Type = T.self) throws(OpenSSLError) -> T {
            guard let pointer = dlsym(handle, name) else { throw .missingFunction(library: library, name: name) }
            return unsafeBitCast(pointer, to: T.self)
        }
        func c<T>(_ name: String) throws(OpenSSLError) -> T { try symbol(crypto, "libcrypto.so.3", name) }
        func s<T>(_ name: String) throws(OpenSSLError) -> T { try symbol(ssl, "libssl.so.3", name) }
        OpenSSL_version_num = try c("OpenSSL_version_num")
        let version = OpenSSL_version_num()
        guard version >= 0x3000_0000 else { throw .tooOld(version: "\(version >> 28).\((version >> 20) & 0xff).\((version >> 12) & 0xff)") }
        ERR_get_error = try c("ERR_get_error")
        ERR_error_string_n = try c("ERR_error_string_n")
        ERR_clear_error = try c("ERR_clear_error")
        RAND_bytes = try c("RAND_bytes")
        X509_verify_cert_error_string = try c("X509_verify_cert_error_string")
        X509_VERIFY_PARAM_set1_ip_asc = try c("X509_VERIFY_PARAM_set1_ip_asc")
        X509_VERIFY_PARAM_set1_host = try c("X509_VERIFY_PARAM_set1_host")
        EVP_CIPHER_CTX_new = try c("EVP_CIPHER_CTX_new")
        EVP_CIPHER_CTX_free = try c("EVP_CIPHER_CTX_free")
        EVP_aes_256_gcm = try c("EVP_aes_256_gcm")
        EVP_CIPHER_CTX_ctrl = try c("EVP_CIPHER_CTX_ctrl")
        EVP_EncryptInit_ex = try c("EVP_EncryptInit_ex")
        EVP_EncryptUpdate = try c("EVP_EncryptUpdate")
        EVP_EncryptFinal_ex = try c("EVP_EncryptFinal_ex")
        EVP_DecryptInit_ex = try c("EVP_DecryptInit_ex")
        EVP_DecryptUpdate = try c("EVP_DecryptUpdate")
        EVP_DecryptFinal_ex = try c("EVP_DecryptFinal_ex")
        EVP_sha1 = try c("EVP_sha1")
        EVP_sha256 = try c("EVP_sha256")
        PKCS5_PBKDF2_HMAC = try c("PKCS5_PBKDF2_HMAC")
        TLS_client_method = try s("TLS_client_method")
        SSL_CTX_new = try s("SSL_CTX_new")
        SSL_CTX_free = try s("SSL_CTX_free")
        SSL_CTX_ctrl = try s("SSL_CTX_ctrl")
        SSL_CTX_set_verify = try s("SSL_CTX_set_verify")
        SSL_CTX_load_verify_locations = try s("SSL_CTX_load_verify_locations")
        SSL_CTX_set_default_verify_paths = try s("SSL_CTX_set_default_verify_paths")
        SSL_CTX_use_certificate_chain_file = try s("SSL_CTX_use_certificate_chain_file")
        SSL_CTX_use_PrivateKey_file = try s("SSL_CTX_use_PrivateKey_file")
        SSL_CTX_check_private_key = try s("SSL_CTX_check_private_key")
        SSL_new = try s("SSL_new")
        SSL_free = try s("SSL_free")
        SSL_set_fd = try s("SSL_set_fd")
        SSL_ctrl = try s("SSL_ctrl")
        SSL_get0_param = try s("SSL_get0_param")
        SSL_connect = try s("SSL_connect")
        SSL_read = try s("SSL_read")
        SSL_peek = try s("SSL_peek")
        SSL_write = try s("SSL_write")
        SSL_get_error = try s("SSL_get_error")
        SSL_shutdown = try s("SSL_shutdown")
        SSL_get_verify_result = try s("SSL_get_verify_result")
    }

    /// dlopen's handle for `name`; the libraries stay loaded for the process's life.
    private static func open(_ name: String) throws(OpenSSLError) -> UnsafeMutableRawPointer {
        guard let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL) else {
            throw .missingLibrary(name: name, why: dlerror().map { String(cString: $0) } ?? "not found")
        }
        return handle
    }

    /// The text of every error on this thread's OpenSSL error queue, oldest first, joined with
    /// "; ", and the queue emptied; `fallback` when it was empty.
    package func errors(or fallback: String = "no error on OpenSSL's queue") -> String {
        var texts: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 || texts.count >= 16 { break }
            texts.append(Self.text(of: code, with: self))
        }
        ERR_clear_error()
        return texts.isEmpty ? fallback : texts.joined(separator: "; ")
    }

    /// The oldest error's reason code on the queue (its low 23 bits), without taking it off.
    static func reason(_ code: UInt) -> Int { Int(code & 0x7F_FFFF) }

    static func text(of code: UInt, with library: OpenSSL) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        buffer.withUnsafeMutableBufferPointer { library.ERR_error_string_n(code, $0.baseAddress, $0.count) }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
