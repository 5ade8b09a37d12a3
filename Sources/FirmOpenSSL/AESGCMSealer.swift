/// AES-256-GCM sealing many messages under one key, as a journal seals its records: one cipher
/// context, whose key schedule is set up once, and each message only sets its nonce.
/// `AESGCM.seal` is this for one message, so the published vectors test it.
///
/// One owner uses it at a time (a journal's serial queue, or one call): it is not Sendable.
/// The context is freed when the sealer goes away.
package final class AESGCMSealer {
    private let library: OpenSSL
    private let context: OpaquePointer

    package init(key: [UInt8]) throws(OpenSSLError) {
        guard key.count == AESGCM.keySize else { throw .failed("AES-256-GCM", errors: "the key has \(key.count) bytes, not \(AESGCM.keySize)") }
        let lib = try OpenSSL.load()
        lib.ERR_clear_error()
        guard let context = lib.EVP_CIPHER_CTX_new() else { throw .failed("EVP_CIPHER_CTX_new", errors: lib.errors()) }
        guard lib.EVP_EncryptInit_ex(context, lib.EVP_aes_256_gcm(), nil, nil, nil) == 1,
              lib.EVP_CIPHER_CTX_ctrl(context, OpenSSL.EVP_CTRL_GCM_SET_IVLEN, Int32(AESGCM.nonceSize), nil) == 1,
              lib.EVP_EncryptInit_ex(context, nil, nil, key, nil) == 1 else {
            let errors = lib.errors()
            lib.EVP_CIPHER_CTX_free(context)
            throw .failed("AES-256-GCM: cannot set the key", errors: errors)
        }
        library = lib
        self.context = context
    }

    deinit { library.EVP_CIPHER_CTX_free(context) }

    /// Appends the ciphertext of `plaintext`, then its 16-byte tag, to `out`.
    package func seal(_ plaintext: [UInt8], nonce: [UInt8], aad: [UInt8], appendingTo out: inout [UInt8]) throws(OpenSSLError) {
        guard nonce.count == AESGCM.nonceSize else { throw .failed("AES-256-GCM", errors: "the nonce has \(nonce.count) bytes, not \(AESGCM.nonceSize)") }
        guard plaintext.count < Int32.max - 16, aad.count < Int32.max else { throw .failed("AES-256-GCM", errors: "\(plaintext.count) bytes are too many") }
        let lib = library, context = self.context
        lib.ERR_clear_error()
        guard lib.EVP_EncryptInit_ex(context, nil, nil, nil, nonce) == 1 else { throw .failed("AES-256-GCM: cannot set the nonce", errors: lib.errors()) }
        var length: Int32 = 0
        if !aad.isEmpty {
            guard lib.EVP_EncryptUpdate(context, nil, &length, aad, Int32(aad.count)) == 1 else {
                throw .failed("AES-256-GCM: cannot take the authenticated data", errors: lib.errors())
            }
        }
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: plaintext.count + AESGCM.tagSize))
        let ok = out.withUnsafeMutableBufferPointer { buffer -> Bool in
            let base = buffer.baseAddress! + start
            var written = 0
            if !plaintext.isEmpty {
                guard lib.EVP_EncryptUpdate(context, base, &length, plaintext, Int32(plaintext.count)) == 1 else { return false }
                written = Int(length)
            }
            guard lib.EVP_EncryptFinal_ex(context, base + written, &length) == 1 else { return false }
            written += Int(length)
            // GCM is a stream mode: all of it came out, and the tag follows it.
            guard written == plaintext.count else { return false }
            return lib.EVP_CIPHER_CTX_ctrl(context, OpenSSL.EVP_CTRL_GCM_GET_TAG, Int32(AESGCM.tagSize), UnsafeMutableRawPointer(base + written)) == 1
        }
        guard ok else {
            out.removeSubrange(start...)
            throw .failed("AES-256-GCM: cannot encrypt \(plaintext.count) bytes", errors: lib.errors())
        }
    }
}
