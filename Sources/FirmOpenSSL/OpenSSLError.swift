/// What went wrong loading or calling OpenSSL.
public enum OpenSSLError: Error, CustomStringConvertible, Equatable {
    /// `libssl.so.3` or `libcrypto.so.3` could not be loaded.
    case missingLibrary(name: String, why: String)
    /// A function firm calls is missing from the library loaded.
    case missingFunction(library: String, name: String)
    /// The library is older than OpenSSL 3.0.
    case tooOld(version: String)
    /// A call failed: what was being done, and OpenSSL's error queue.
    case failed(String, errors: String)

    public var description: String {
        switch self {
        case .missingLibrary(let name, let why):
            "OpenSSL 3 is needed for TLS and encryption and could not be loaded (\(name): \(why)); install the package libssl3 (Debian and Ubuntu: apt-get install libssl3)"
        case .missingFunction(let library, let name):
            "the OpenSSL loaded (\(library)) has no function \(name); OpenSSL 3.0 or newer is needed: install the package libssl3"
        case .tooOld(let version):
            "the OpenSSL loaded is \(version), older than the 3.0 firm needs; install the package libssl3"
        case .failed(let what, let errors):
            "\(what): \(errors)"
        }
    }
}
