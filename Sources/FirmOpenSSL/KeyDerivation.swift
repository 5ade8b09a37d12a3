/// PBKDF2-HMAC (PKCS #5) and random bytes, through OpenSSL.
package enum KeyDerivation {
    package enum Digest: Sendable { case sha1, sha256 }

    /// `length` bytes derived from `password` and `salt` with `iterations` rounds.
    package static func pbkdf2(password: [UInt8], salt: [UInt8], iterations: Int, length: Int, digest: Digest = .sha256) throws(OpenSSLError) -> [UInt8] {
        let lib = try OpenSSL.load()
        guard (1...Int(Int32.max)).contains(iterations), (1...1024).contains(length), password.count < Int32.max, salt.count < Int32.max else {
            throw .failed("PBKDF2", errors: "\(iterations) iterations for \(length) bytes is out of range")
        }
        lib.ERR_clear_error()
        guard let md = digest == .sha1 ? lib.EVP_sha1() : lib.EVP_sha256() else { throw .failed("PBKDF2: no digest", errors: lib.errors()) }
        var out = [UInt8](repeating: 0, count: length)
        let ok = password.withUnsafeBufferPointer { pass in
            pass.withMemoryRebound(to: CChar.self) { pass in
                lib.PKCS5_PBKDF2_HMAC(pass.baseAddress, Int32(pass.count), salt, Int32(salt.count), Int32(iterations), md, Int32(length), &out)
            }
        }
        guard ok == 1 else { throw .failed("PBKDF2", errors: lib.errors()) }
        return out
    }

    /// `count` bytes from OpenSSL's random generator.
    package static func randomBytes(_ count: Int) throws(OpenSSLError) -> [UInt8] {
        let lib = try OpenSSL.load()
        var out = [UInt8](repeating: 0, count: count)
        lib.ERR_clear_error()
        guard count == 0 || lib.RAND_bytes(&out, Int32(clamping: count)) == 1 else { throw .failed("RAND_bytes", errors: lib.errors()) }
        return out
    }
}
