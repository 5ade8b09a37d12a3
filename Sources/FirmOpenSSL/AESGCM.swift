/// AES-256-GCM through OpenSSL's EVP interface: a 32-byte key, a 12-byte nonce, additional
/// authenticated data, and a 16-byte tag. `open` checks the tag before anything is returned:
/// a wrong key, a changed byte or other authenticated data is `AESGCMError.authentication`.
/// Each call makes its own cipher context and frees it on every path; `seal` is
/// `AESGCMSealer`'s.
package struct AESGCM: Sendable {
    package static let keySize = 32
    package static let nonceSize = 12
    package static let tagSize = 16

    let library: OpenSSL

    package init() throws(OpenSSLError) { library = try OpenSSL.load() }

    /// The ciphertext and the tag of `plaintext`: what `AESGCMSealer` writes, split (so the
    /// published vectors that test this test the sealer the state and journal use).
    package func seal(_ plaintext: [UInt8], key: [UInt8], nonce: [UInt8], aad: [UInt8]) throws(OpenSSLError) -> (ciphertext: [UInt8], tag: [UInt8]) {
        try check(key: key, nonce: nonce)
        var out: [UInt8] = []
        try AESGCMSealer(key: key).seal(plaintext, nonce: nonce, aad: aad, appendingTo: &out)
        return (Array(out.dropLast(Self.tagSize)), Array(out.suffix(Self.tagSize)))
    }

    /// The plaintext of `ciphertext`, once its `tag` is checked against the key, the nonce and
    /// `aad`; `AESGCMError.authentication` when it does not match.
    package func open(_ ciphertext: [UInt8], key: [UInt8], nonce: [UInt8], aad: [UInt8], tag: [UInt8]) throws(AESGCMError) -> [UInt8] {
        do { try check(key: key, nonce: nonce) } catch { throw .openSSL(error) }
        guard tag.count == Self.tagSize else { throw .authentication }
        let lib = library
        lib.ERR_clear_error()
        guard let context = lib.EVP_CIPHER_CTX_new() else { throw .openSSL(.failed("EVP_CIPHER_CTX_new", errors: lib.errors())) }
        defer { lib.EVP_CIPHER_CTX_free(context) }
        guard lib.EVP_DecryptInit_ex(context, lib.EVP_aes_256_gcm(), nil, nil, nil) == 1,
              lib.EVP_CIPHER_CTX_ctrl(context, OpenSSL.EVP_CTRL_GCM_SET_IVLEN, Int32(Self.nonceSize), nil) == 1,
              lib.EVP_DecryptInit_ex(context, nil, nil, key, nonce) == 1 else {
            throw .openSSL(.failed("AES-256-GCM: cannot start decrypting", errors: lib.errors()))
        }
        var length: Int32 = 0
        if !aad.isEmpty {
            guard lib.EVP_DecryptUpdate(context, nil, &length, aad, Int32(clamping: aad.count)) == 1 else {
                throw .openSSL(.failed("AES-256-GCM: cannot take the authenticated data", errors: lib.errors()))
            }
        }
        var out = [UInt8](repeating: 0, count: ciphertext.count + 16)
        var written = 0
        if !ciphertext.isEmpty {
            guard ciphertext.count < Int32.max - 16,
                  out.withUnsafeMutableBufferPointer({ lib.EVP_DecryptUpdate(context, $0.baseAddress, &length, ciphertext, Int32(ciphertext.count)) }) == 1 else {
                throw .openSSL(.failed("AES-256-GCM: cannot decrypt \(ciphertext.count) bytes", errors: lib.errors()))
            }
            written = Int(length)
        }
        var expected = tag
        guard lib.EVP_CIPHER_CTX_ctrl(context, OpenSSL.EVP_CTRL_GCM_SET_TAG, Int32(Self.tagSize), &expected) == 1 else {
            throw .openSSL(.failed("AES-256-GCM: cannot set the tag", errors: lib.errors()))
        }
        guard out.withUnsafeMutableBufferPointer({ lib.EVP_DecryptFinal_ex(context, $0.baseAddress! + written, &length) }) == 1 else {
            lib.ERR_clear_error()
            throw .authentication
        }
        written += Int(length)
        return Array(out[..<written])
    }

    private func check(key: [UInt8], nonce: [UInt8]) throws(OpenSSLError) {
        guard key.count == Self.keySize else { throw .failed("AES-256-GCM", errors: "the key has \(key.count) bytes, not \(Self.keySize)") }
        guard nonce.count == Self.nonceSize else { throw .failed("AES-256-GCM", errors: "the nonce has \(nonce.count) bytes, not \(Self.nonceSize)") }
    }
}

/// Why AES-GCM could not open a ciphertext.
package enum AESGCMError: Error, Equatable {
    /// The tag does not match: another key, a changed byte, or other authenticated data.
    case authentication
    case openSSL(OpenSSLError)
}
