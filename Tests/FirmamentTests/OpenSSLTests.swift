import Foundation
import Testing
@testable import FirmBase
@testable import FirmOpenSSL
import FirmTestSupport

/// The OpenSSL binding: published vectors for AES-256-GCM and PBKDF2, and each error path
/// (a library that can't be loaded, bad sizes, a changed byte, TLS files that can't be used).
@Suite("OpenSSL binding")
struct OpenSSLTests {
    static func bytes(_ hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            out.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return out
    }

    @Test("AES-256-GCM matches the GCM specification's test cases 13 to 16 (NIST's vectors), and opens what it sealed")
    func gcmVectors() throws {
        let gcm = try AESGCM()
        let zero = [UInt8](repeating: 0, count: 32), zeroNonce = [UInt8](repeating: 0, count: 12)
        // Test case 13: empty plaintext.
        let t13 = try gcm.seal([], key: zero, nonce: zeroNonce, aad: [])
        #expect(t13.ciphertext.isEmpty && Hex.lower(t13.tag) == "530f8afbc74536b9a963b4f1c4cb738b")
        // Test case 14: one zero block.
        let t14 = try gcm.seal([UInt8](repeating: 0, count: 16), key: zero, nonce: zeroNonce, aad: [])
        #expect(Hex.lower(t14.ciphertext) == "cea7403d4d606b6e074ec5d3baf39d18" && Hex.lower(t14.tag) == "d0d1c8a799996bf0265b98b5d48ab919")
        // Test case 16: authenticated data and a partial last block.
        let key = Self.bytes("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308")
        let nonce = Self.bytes("cafebabefacedbaddecaf888")
        let aad = Self.bytes("feedfacedeadbeeffeedfacedeadbeefabaddad2")
        let plain = Self.bytes("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39")
        let t16 = try gcm.seal(plain, key: key, nonce: nonce, aad: aad)
        #expect(Hex.lower(t16.ciphertext) == "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662")
        #expect(Hex.lower(t16.tag) == "76fc6ece0f4e1768cddf8853bb2d551b")
        #expect(try gcm.open(t16.ciphertext, key: key, nonce: nonce, aad: aad, tag: t16.tag) == plain)
    }

    @Test("AES-256-GCM refuses a changed byte, other authenticated data, another key, and wrong sizes")
    func gcmRefusals() throws {
        let gcm = try AESGCM()
        let key = try KeyDerivation.randomBytes(32), nonce = try KeyDerivation.randomBytes(12)
        let sealed = try gcm.seal(Array("secret".utf8), key: key, nonce: nonce, aad: Array("sandbox lab".utf8))
        var flipped = sealed.ciphertext
        flipped[0] ^= 1
        #expect(throws: AESGCMError.authentication) { try gcm.open(flipped, key: key, nonce: nonce, aad: Array("sandbox lab".utf8), tag: sealed.tag) }
        #expect(throws: AESGCMError.authentication) { try gcm.open(sealed.ciphertext, key: key, nonce: nonce, aad: Array("sandbox other".utf8), tag: sealed.tag) }
        var otherKey = key
        otherKey[31] ^= 0x80
        #expect(throws: AESGCMError.authentication) { try gcm.open(sealed.ciphertext, key: otherKey, nonce: nonce, aad: Array("sandbox lab".utf8), tag: sealed.tag) }
        #expect(throws: AESGCMError.authentication) { try gcm.open(sealed.ciphertext, key: key, nonce: nonce, aad: Array("sandbox lab".utf8), tag: [1, 2]) }
        #expect(throws: OpenSSLError.self) { try gcm.seal([], key: [1, 2, 3], nonce: nonce, aad: []) }
        #expect(throws: OpenSSLError.self) { try gcm.seal([], key: key, nonce: [1], aad: []) }
    }

    @Test("a sealer that keeps its key in one cipher context writes what a fresh context writes, message after message (test case 16 among them)")
    func reusedContext() throws {
        let gcm = try AESGCM()
        let key = Self.bytes("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308")
        let sealer = try AESGCMSealer(key: key)
        var messages: [([UInt8], [UInt8], [UInt8])] = [(Self.bytes("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"),
                                                         Self.bytes("cafebabefacedbaddecaf888"), Self.bytes("feedfacedeadbeeffeedfacedeadbeefabaddad2"))]
        for length in [0, 1, 15, 16, 17, 300, 4099] {
            messages.append((try KeyDerivation.randomBytes(length), try KeyDerivation.randomBytes(12), try KeyDerivation.randomBytes(length % 40)))
        }
        for (plain, nonce, aad) in messages + messages.reversed() {
            var out: [UInt8] = [7]
            try sealer.seal(plain, nonce: nonce, aad: aad, appendingTo: &out)
            let fresh = try gcm.seal(plain, key: key, nonce: nonce, aad: aad)
            #expect(out == [7] + fresh.ciphertext + fresh.tag, "\(plain.count) bytes: the same as a fresh context, after what was already in the buffer")
        }
        #expect(Hex.lower(try { var o: [UInt8] = []; try sealer.seal(messages[0].0, nonce: messages[0].1, aad: messages[0].2, appendingTo: &o); return o.suffix(16) }())
                == "76fc6ece0f4e1768cddf8853bb2d551b")
        #expect(throws: OpenSSLError.self) { try AESGCMSealer(key: [1, 2, 3]) }
        var out: [UInt8] = []
        #expect(throws: OpenSSLError.self) { try sealer.seal([], nonce: [1], aad: [], appendingTo: &out) }
        #expect(out.isEmpty)
    }

    @Test("Base64Append writes Foundation's base64 of every length, from any range")
    func base64() {
        for length in 0..<70 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ length) }
            var out: [UInt8] = Array("x".utf8)
            Base64Append.append(bytes, to: &out)
            #expect(String(decoding: out, as: UTF8.self) == "x" + Data(bytes).base64EncodedString(), "\(length) bytes")
            if length > 4 {
                var part: [UInt8] = []
                Base64Append.append(bytes, 2..<(length - 1), to: &part)
                #expect(String(decoding: part, as: UTF8.self) == Data(bytes[2..<(length - 1)]).base64EncodedString())
            }
        }
    }

    @Test("PBKDF2-HMAC-SHA1 matches RFC 6070's vectors")
    func pbkdf2Vectors() throws {
        func derive(_ password: String, _ salt: String, _ iterations: Int, _ length: Int) throws -> String {
            Hex.lower(try KeyDerivation.pbkdf2(password: Array(password.utf8), salt: Array(salt.utf8), iterations: iterations, length: length, digest: .sha1))
        }
        #expect(try derive("password", "salt", 1, 20) == "0c60c80f961f0e71f3a9b524af6012062fe037a6")
        #expect(try derive("password", "salt", 2, 20) == "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957")
        #expect(try derive("password", "salt", 4096, 20) == "4b007901b765489abead49d926f721d065a429c1")
        #expect(try derive("passwordPASSWORDpassword", "saltSALTsaltSALTsaltSALTsaltSALTsalt", 4096, 25) == "3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038")
        #expect(try derive("pass\0word", "sa\0lt", 4096, 16) == "56fa6aa75548099dcc37d7f03425e0c3")
        #expect(throws: OpenSSLError.self) { try KeyDerivation.pbkdf2(password: [], salt: [], iterations: 0, length: 32) }
    }

    @Test("a missing OpenSSL is an error naming the libssl3 package; a loaded one is 3.0 or newer")
    func loading() throws {
        #expect(throws: OpenSSLError.self) { try OpenSSL(crypto: "libcrypto.so.99", ssl: "libssl.so.99") }
        do {
            _ = try OpenSSL(crypto: "libcrypto.so.99", ssl: "libssl.so.99")
        } catch {
            #expect(error.description.contains("libssl3") && error.description.contains("libcrypto.so.99"), "\(error)")
        }
        do {
            _ = try OpenSSL(crypto: "libc.so.6", ssl: "libc.so.6")
        } catch {
            #expect(error.description.contains("has no function OpenSSL_version_num") && error.description.contains("libssl3"), "\(error)")
        }
        #expect(OpenSSL.versionText.hasPrefix("3."))
        #expect(try OpenSSL.load().errors(or: "empty") == "empty", "the error queue starts empty")
    }

    @Test("TLS files that can't be used are errors naming the file, with OpenSSL's text")
    func tlsFiles() throws {
        let folder = TempDirectory()
        defer { folder.remove() }
        folder.write("junk.pem", "not a certificate")
        func message(_ make: () throws -> TLSContext) -> String {
            do {
                _ = try make()
                return "made"
            } catch { return "\(error)" }
        }
        #expect(message { try TLSContext(caFile: folder.file("none.pem"), trustHint: "X") }.contains("cannot read the CA certificates in \(folder.file("none.pem"))"))
        let junk = message { try TLSContext(caFile: folder.file("junk.pem"), trustHint: "X") }
        #expect(junk.contains("PEM expected") && junk.contains("error:"), "OpenSSL's own text: \(junk)")
        let key = message { try TLSContext(caFile: nil, certificate: folder.file("junk.pem"), key: folder.file("junk.pem"), trustHint: "X") }
        #expect(key.contains("cannot read the client certificate in"), "\(key)")
        #expect(message { try TLSContext(caFile: nil, certificate: nil, key: folder.file("junk.pem"), trustHint: "X") }.contains("without its certificate"))
        #expect(message { try TLSContext(caFile: nil, trustHint: "X") } == "made", "the system's store loads")
    }

    @Test("TLS to a server that answers in plain HTTP is refused as not TLS, never read as an answer")
    func plainServer() async throws {
        // A listener that answers anything with an HTTP 400, as a plain HTTP server does.
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) } }
        listen(listener, 4)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) } }
        let port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread {
            let fd = accept(listener, nil, nil)
            var buffer = [UInt8](repeating: 0, count: 4096)
            _ = recv(fd, &buffer, buffer.count, 0)
            let answer = Array("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8)
            _ = send(fd, answer, answer.count, Int32(MSG_NOSIGNAL))
            Foundation.close(fd)
        }
        thread.start()
        defer { Foundation.close(listener) }
        let client = HTTP1Client(host: "127.0.0.1", port: port, timeout: .seconds(10), security: try TLSContext(caFile: nil, trustHint: "X"))
        await #expect {
            _ = try await client.post("/", body: [])
        } throws: { error in
            guard case HTTP1Error.refused(let why) = error else { return false }
            return why.contains("does not speak TLS") && why.contains("127.0.0.1:\(port)")
        }
    }
}
