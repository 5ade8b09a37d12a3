import Foundation
import Testing
@testable import FirmBase
@testable import FirmModel
@testable import FirmPlanning
@testable import FirmExecution
@testable import FirmSimulated
@testable import FirmProcess
@testable import FirmEC2
@testable import FirmLocalState
@testable import FirmEtcdState
@testable import FirmSession
@testable import FirmDrift
@testable import Firmament

/// HMAC-SHA256 against RFC 4231, and SigV4 against every case of the AWS Signature Version 4
/// test suite in ../shared/testdata/aws-sigv4 (required under CI, like the JSON corpus).
@Suite("HMAC-SHA256 and SigV4")
struct SigV4Tests {
    static let suite: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("../shared/testdata/aws-sigv4/v4").standardizedFileURL
    static let suiteRequired = ProcessInfo.processInfo.environment["CI"] == "true" || FileManager.default.fileExists(atPath: suite.path)

    static var cases: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: suite.path)) ?? []).sorted()
    }

    static func bytes(_ hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var chars = Array(hex.utf8)[...]
        while chars.count >= 2 {
            out.append(UInt8(String(decoding: chars.prefix(2), as: UTF8.self), radix: 16)!)
            chars = chars.dropFirst(2)
        }
        return out
    }

    @Test("HMAC-SHA256 matches the RFC 4231 test cases", arguments: [
        // (key, data, expected MAC); case 5's MAC is truncated to 128 bits in the RFC.
        ("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "4869205468657265", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
        ("4a656665", "7768617420646f2079612077616e7420666f72206e6f7468696e673f", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
        (String(repeating: "aa", count: 20), String(repeating: "dd", count: 50), "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
        ("0102030405060708090a0b0c0d0e0f10111213141516171819", String(repeating: "cd", count: 50), "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
        (String(repeating: "0c", count: 20), "546573742057697468205472756e636174696f6e", "a3b6167473100ee06e0c796c2955552b"),
        (String(repeating: "aa", count: 131), "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b6579202d2048617368204b6579204669727374",
         "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
        (String(repeating: "aa", count: 131),
         "5468697320697320612074657374207573696e672061206c6172676572207468616e20626c6f636b2d73697a65206b657920616e642061206c6172676572207468616e20626c6f636b2d73697a6520646174612e20546865206b6579206e6565647320746f20626520686173686564206265666f7265206265696e6720757365642062792074686520484d414320616c676f726974686d2e",
         "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
    ])
    func hmac(_ key: String, _ data: String, _ expected: String) {
        let mac = HMACSHA256.hex(HMACSHA256.mac(key: Self.bytes(key), message: Self.bytes(data)))
        #expect(mac.hasPrefix(expected) && expected.count >= 32)
    }

    @Test("the AWS SigV4 test suite is present beside the checkout (required under CI)",
          .enabled(if: suiteRequired, "skipped: ../shared/testdata/aws-sigv4 is missing and CI is not set"))
    func suiteIsPresent() {
        #expect(Self.cases.count == 38, "\(Self.cases.count) cases at \(Self.suite.path)")
    }

    /// request.txt: the request line, headers (a line starting with blanks continues the one
    /// before), a blank line, and the body.
    static func request(_ text: String) -> SigV4.Request {
        var lines = text.components(separatedBy: "\n")
        let first = lines.removeFirst()
        let method = String(first.prefix { $0 != " " })
        var target = String(first.dropFirst(method.count + 1))
        if let range = target.range(of: " HTTP/", options: .backwards) { target = String(target[..<range.lowerBound]) }
        let path = String(target.prefix { $0 != "?" })
        let query = target.count > path.count ? String(target.dropFirst(path.count + 1)) : ""
        var headers: [(name: String, value: String)] = []
        var body = ""
        while !lines.isEmpty {
            let line = lines.removeFirst()
            if line.isEmpty {
                body = lines.joined(separator: "\n")
                break
            }
            if line.first == " " || line.first == "\t", !headers.isEmpty {
                headers[headers.count - 1].value += "\n" + line
            } else if let colon = line.firstIndex(of: ":") {
                headers.append((String(line[..<colon]), String(line[line.index(after: colon)...])))
            }
        }
        return SigV4.Request(method: method, path: path, query: query, headers: headers, body: Array(body.utf8))
    }

    @Test("SigV4 gives the suite's canonical request, string to sign and signature, in the header and the query form",
          .enabled(if: suiteRequired), arguments: cases)
    func suiteCase(_ name: String) throws {
        let folder = Self.suite.appendingPathComponent(name)
        func read(_ file: String) throws -> String { try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8) }
        let context = try JSONReader.parse(try read("context.json")).plain
        let credentials = try #require(context["credentials"])
        var signer = SigV4(credentials: SigV4.Credentials(accessKey: credentials["access_key_id"]!.stringValue!,
                                                          secret: credentials["secret_access_key"]!.stringValue!,
                                                          sessionToken: credentials["token"]?.stringValue),
                           region: context["region"]!.stringValue!, service: context["service"]!.stringValue!)
        signer.normalizePath = context["normalize"]?.boolValue ?? true
        signer.signBody = context["sign_body"]?.boolValue ?? false
        signer.signSessionToken = !(context["omit_session_token"]?.boolValue ?? false)
        let date = try #require(ISO8601DateFormatter().date(from: context["timestamp"]!.stringValue!))
        let request = Self.request(try read("request.txt"))

        let header = signer.sign(request, at: date, form: .header)
        #expect(header.canonicalRequest == (try read("header-canonical-request.txt")), "\(name): header canonical request")
        #expect(header.stringToSign == (try read("header-string-to-sign.txt")), "\(name): header string to sign")
        #expect(header.signature == (try read("header-signature.txt")).trimmingCharacters(in: .whitespacesAndNewlines), "\(name): header signature")

        let query = signer.sign(request, at: date, form: .query(expires: context["expiration_in_seconds"]?.intValue ?? 3600))
        #expect(query.canonicalRequest == (try read("query-canonical-request.txt")), "\(name): query canonical request")
        #expect(query.stringToSign == (try read("query-string-to-sign.txt")), "\(name): query string to sign")
        #expect(query.signature == (try read("query-signature.txt")).trimmingCharacters(in: .whitespacesAndNewlines), "\(name): query signature")
    }
}
