/// Why something encrypted could not be read, or a key could not be had. Each names the file
/// (or key) and the variable to set; none is ever taken for an empty or missing state.
public enum EncryptionError: Error, CustomStringConvertible, Equatable {
    /// The content is encrypted and no key is set.
    case missingKey(location: String)
    /// No key set (nor the fallback) is the one the content was encrypted with.
    case wrongKey(location: String, found: String, tried: [String])
    /// The key is the right one but the content does not authenticate: a changed byte.
    case tampered(location: String)
    /// The encrypted content names another sandbox, lineage or serial than where it was found.
    case moved(location: String, reason: String)
    /// The envelope itself is not what firm writes.
    case malformed(location: String, reason: String)
    /// A key setting that can't be used.
    case badKey(variable: String, reason: String)
    /// OpenSSL could not be loaded or failed.
    case openSSL(String)

    public var description: String {
        switch self {
        case .missingKey(let location):
            "\(location) is encrypted; set FIRM_STATE_KEY (or FIRM_STATE_PASSPHRASE, or FIRM_STATE_KEY_COMMAND) to the key it was written with"
        case .wrongKey(let location, let found, let tried):
            "\(location) was encrypted with another key (key id \(found)); the keys set have id \(tried.joined(separator: ", ")). Set FIRM_STATE_KEY to that key, or FIRM_STATE_KEY_FALLBACK to it while rotating"
        case .tampered(let location):
            "\(location): the encrypted content was changed (it does not authenticate with the key that wrote it); nothing was read from it"
        case .moved(let location, let reason):
            "\(location): the encrypted content belongs elsewhere (\(reason)); nothing was read from it"
        case .malformed(let location, let reason):
            "\(location): not a valid encrypted file: \(reason)"
        case .badKey(let variable, let reason):
            "\(variable): \(reason)"
        case .openSSL(let why):
            "encryption: \(why)"
        }
    }
}
