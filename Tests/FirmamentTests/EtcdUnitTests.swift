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

@Suite("etcd backend: addresses, keys, gateway answers and HTTP")
struct EtcdUnitTests {
    @Test("etcd URLs", arguments: [
        ("etcd://127.0.0.1:2379/firm", "/firm", ["127.0.0.1:2379"], nil),
        ("etcd://a:1,b.example:2,[::1]:3/team/firm/", "/team/firm", ["a:1", "b.example:2", "[::1]:3"], nil),
        ("etcds://h:2379/p", "/p", ["h:2379"], nil),
        ("etcd://h/firm", nil, nil, "HOST:PORT"),
        ("etcd://h:0/firm", nil, nil, "port from 1 to 65535"),
        ("etcd://h:2379", nil, nil, "no key prefix"),
        ("etcd://h:2379/", nil, nil, "no key prefix"),
        ("etcd://h:2379/a/../b", nil, nil, "may hold only"),
        ("etcd://h:2379/a b", nil, nil, "may hold only"),
        ("etcd://,h:1/p", nil, nil, "HOST:PORT"),
        ("etcd://h@x:1/p", nil, nil, "no valid host name"),
        ("http://h:1/p", nil, nil, "must start with etcd://"),
    ] as [(String, String?, [String]?, String?)])
    func addresses(_ text: String, _ prefix: String?, _ endpoints: [String]?, _ expected: String?) {
        do {
            let address = try EtcdAddress(text)
            #expect(expected == nil, "\(text) was taken")
            #expect(address.prefix == prefix && address.endpoints == endpoints)
        } catch {
            #expect(expected != nil && "\(error)".contains(expected ?? "-"), "\(text): \(error)")
        }
    }

    @Test("what each key of a sandbox holds", arguments: [
        ("/firm/lab/meta", EtcdKeys.Item.meta), ("/firm/lab/sandbox", .record), ("/firm/lab/lock", .lock),
        ("/firm/lab/app/web", .app("web")), ("/firm/lab/network/front", .network("front")), ("/firm/lab/infra/sky", .infra("sky")),
        ("/firm/lab/intent/abc-1", .intent("abc-1")), ("/firm/lab/app/", nil), ("/firm/lab/other/x", nil), ("/firm/labx/meta", nil),
        ("/firm/lab/metadata", nil),
    ] as [(String, EtcdKeys.Item?)])
    func keyItems(_ key: String, _ item: EtcdKeys.Item?) {
        #expect(EtcdKeys(prefix: "/firm", sandbox: "lab").item(key) == item)
    }

    @Test("a power change writes only its app's key and the meta key; an intent's end deletes its key")
    func writes() {
        let keys = EtcdKeys(prefix: "/p", sandbox: "s")
        var state = State(lineage: "l", blueprint: "b")
        let app = AppState(provider: "sim", deploymentPath: DeploymentPath(provider: "sim", deploymentType: "small", attributes: [:]), attributes: [:], vmName: "w", vmUuid: "u")
        state.apply(.putApp("web", app))
        state.apply(.setPower("web", .on))
        let power = keys.writes(for: .setPower("web", .on), in: state)
        #expect(power.map(\.key) == ["/p/s/app/web"] && power[0].value?["power"] == "on")
        #expect(keys.writes(for: .endIntent("i1"), in: state).map { $0.value == nil } == [true])
    }

    @Test("gateway answers that are not what etcd sends are errors, never crashes", arguments: [
        (#"{"kvs": [{"key": "!!", "value": "eA=="}]}"#, "without a valid base64 key"),
        (#"{"kvs": [{"key": "YQ==", "value": "%%%"}]}"#, "not base64"),
        (#"{"kvs": [{"key": "YQ==", "mod_revision": "x"}]}"#, "no integer"),
        (#"{"kvs": [{"key": "YQ==", "create_revision": true}]}"#, "no integer"),
        (#"{"kvs": {"key": "YQ=="}}"#, "not an array"),
        // A number at int64's limit, or below zero, would overflow or mislead in firm's arithmetic.
        (#"{"kvs": [{"key": "YQ==", "mod_revision": "9223372036854775807"}]}"#, "outside 0...4611686018427387904"),
        (#"{"kvs": [{"key": "YQ==", "create_revision": "-5"}]}"#, "outside 0..."),
    ])
    func hostileAnswers(_ text: String, _ expected: String) throws {
        if text.contains("9223372036854775807") {
            let header = try JSONReader.parse(#"{"header": {"revision": "9223372036854775807"}}"#)
            #expect(throws: StateError.self) { _ = try Etcd.revision(header, url: "etcd://t:1/p") }
        }
        let node = try JSONReader.parse(text)
        #expect(throws: StateError.self) { _ = try Etcd.kvs(node, url: "etcd://t:1/p") }
        do { _ = try Etcd.kvs(node, url: "etcd://t:1/p") } catch { #expect("\(error)".contains(expected), "\(error)") }
    }

    @Test("error answers: unary and stream shapes, retryable ones, and bodies that are not JSON")
    func errorAnswers() throws {
        func check(_ body: String, _ status: Int) -> (any Error)? {
            do { _ = try EtcdCallError.check(data: Array(body.utf8), status: status, endpoint: "e:1", path: "/v3/kv/range", url: "etcd://e:1/p") } catch { return error }
            return nil
        }
        let unary = check(#"{"error":"etcdserver: user name is empty","message":"etcdserver: user name is empty","code":3}"#, 400) as? EtcdCallError
        #expect(unary?.code == 3 && unary?.isRetryable == false && "\(unary!)".contains("FIRM_ETCD_USER"))
        let stream = check(#"{"error":{"grpc_code":5,"http_code":404,"message":"etcdserver: requested lease not found"}}"#, 200) as? EtcdCallError
        #expect(stream?.code == 5 && stream?.message.contains("lease not found") == true)
        #expect((check(#"{"error":"etcdserver: leader changed","code":14}"#, 503) as? EtcdCallError)?.isRetryable == true)
        #expect(check("<html>bad gateway</html>", 502) is EtcdCallError, "an HTML error page is retryable, not a crash")
        #expect(check("<html>", 200) is StateError)
        #expect(check("[1]", 200) is StateError)
        #expect(check(#"{"header":{}}"#, 200) == nil)
    }

    @Test("etcd's errors are told apart by their gRPC code, or the HTTP status a gateway gives, whatever their words", arguments: [
        (#"{"error":"a new wording","code":14}"#, 503, EtcdCallError.Kind.unavailable, true),
        (#"{"error":"a new wording","code":4}"#, 504, .unavailable, true),
        (#"{"error":"a new wording","code":8}"#, 429, .throttled, true),
        (#"{"error":"a new wording","code":16}"#, 401, .unauthenticated, false),
        (#"{"error":"a new wording","code":7}"#, 403, .permissionDenied, false),
        (#"{"error":"etcdserver: leader changed","code":3}"#, 400, .invalid, false),
        (#"{"error":{"grpc_code":5,"message":"gone"}}"#, 200, .notFound, false),
        ("<html>proxy</html>", 503, .unavailable, true),
        ("<html>proxy</html>", 429, .throttled, true),
        ("<html>proxy</html>", 403, .permissionDenied, false),
    ])
    func errorKinds(_ body: String, _ status: Int, _ kind: EtcdCallError.Kind, _ retryable: Bool) throws {
        var error: EtcdCallError?
        do { _ = try EtcdCallError.check(data: Array(body.utf8), status: status, endpoint: "e:1", path: "/v3/kv/range", url: "etcd://e:1/p") } catch let thrown {
            error = thrown as? EtcdCallError
        }
        #expect(error?.kind == kind)
        #expect(error?.isRetryable == retryable)
        #expect(error?.isInvalidToken == (kind == .unauthenticated))
    }

    @Test("a range read page by page must make progress and stay bounded", arguments: [
        (["/p/a", "/p/b"], 2, true, ""),
        (["/p/a"], 2, false, ""),
        (["/p/a"], 2, true, "short of the 2 asked for"),
        ([], 2, true, "short of the 2 asked for"),
        (["/p/a", "/p/b", "/p/c"], 2, false, "3 keys to a page of 2"),
        (["/p/b", "/p/a"], 2, false, "out of order, or twice"),
        (["/p/a", "/p/a"], 2, false, "out of order, or twice"),
        (["/o/z"], 2, false, "outside the range"),
        (["/q/a"], 2, false, "outside the range"),
    ])
    func rangeProgress(_ keys: [String], _ limit: Int, _ more: Bool, _ refusal: String) {
        var budget = RangeBudget(prefix: "/p/", url: "etcd://t:1/p")
        let page = keys.map { EtcdKV(key: $0, value: [], createRevision: 1, modRevision: 1, lease: 0) }
        do {
            try budget.take(page, from: "/p/", end: Etcd.rangeEnd("/p/"), limit: limit, more: more)
            #expect(refusal.isEmpty, "accepted; expected \(refusal)")
        } catch {
            #expect(!refusal.isEmpty && "\(error)".contains(refusal), "\(error)")
        }
    }

    @Test("a range that goes on past the key or byte bound is stopped")
    func rangeBound() throws {
        var budget = RangeBudget(prefix: "/p/", url: "etcd://t:1/p")
        var taken = 0, start = "/p/", index = 0
        #expect(throws: StateError.self) {
            while taken <= RangeBudget.maxKeys {
                let page = (0..<1000).map { _ in
                    index += 1
                    return EtcdKV(key: "/p/" + String(1_000_000_000 + index), value: [], createRevision: 1, modRevision: 1, lease: 0)
                }
                try budget.take(page, from: start, end: Etcd.rangeEnd("/p/"), limit: 1000, more: true)
                taken += page.count
                start = page[page.count - 1].key + "\u{0}"
            }
        }
        #expect(taken <= RangeBudget.maxKeys)
        var big = RangeBudget(prefix: "/p/", url: "etcd://t:1/p")
        let value = [UInt8](repeating: 0x61, count: 64 << 20)
        #expect(throws: StateError.self) {
            for i in 0..<(RangeBudget.maxBytes / value.count + 1) {
                try big.take([EtcdKV(key: "/p/\(100_000 + i)", value: value, createRevision: 1, modRevision: 1, lease: 0)], from: "/p/",
                             end: Etcd.rangeEnd("/p/"), limit: 1000, more: false)
            }
        }
    }

    /// Feeds `bytes` to a Reader through a socket pair, then closes the writing end.
    func read(_ bytes: String, maxBody: Int = 1 << 20) throws -> (status: Int, body: String) {
        var fds: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
        defer { close(fds[0]) }
        let data = Array(bytes.utf8)
        _ = data.withUnsafeBytes { write(fds[1], $0.baseAddress, $0.count) }
        close(fds[1])
        var reader = Reader(stream: PlainStream(fds[0]), deadline: .now + .seconds(5), maxBody: maxBody, streamDeadline: false)
        let head = try reader.head()
        var body: [UInt8] = []
        if head.chunked { while let chunk = try reader.chunk() { body += chunk } } else if let n = head.length { body = try reader.body(length: n) } else { body = try reader.rest() }
        return (head.status, String(decoding: body, as: UTF8.self))
    }

    @Test("HTTP answers: chunks with trailers (as the gateway sends errors), lengths, and damaged answers")
    func http() throws {
        let trailers = "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nTrailer: Grpc-Trailer-Content-Type\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n2\r\n1}\r\n0\r\nGrpc-Trailer-Content-Type: application/grpc\r\n\r\n"
        #expect(try read(trailers) == (400, #"{"a":1}"#))
        #expect(try read("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}") == (200, "{}"))
        #expect(try read("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n") == (200, ""))
        #expect(try read(String(repeating: "HTTP/1.1 100 Continue\r\n\r\n", count: 16) + "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n") == (200, ""))
        let damaged: [(String, String)] = [
            ("SMTP ready\r\n\r\n", "status line"),
            ("HTTP/1.1 999 What\r\n\r\n", "status line"),
            ("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "Content-Length"),
            ("HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n", "larger than 1 MB, the most firm reads"),
            ("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}", "closed mid-answer"),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "chunk size"),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n", "larger than 1 MB"),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n200000\r\n", "larger than 1 MB"),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\n", "chunk size"),
            (String(repeating: "HTTP/1.1 100 Continue\r\n\r\n", count: 17) + "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", "more than 16 interim"),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n" + String(repeating: "T: x\r\n", count: 201) + "\r\n", "more than 200 trailer lines"),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}XX\r\n", "CRLF"),
            ("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "header"),
            ("HTTP/1.1 200 OK\r\n" + String(repeating: "X-A: b\r\n", count: 201) + "\r\n", "more than 200 headers"),
            ("HTTP/1.1 200 OK\r\nX: " + String(repeating: "a", count: 70_000), "longer than"),
        ]
        for (bytes, expected) in damaged {
            #expect(throws: HTTP1Error.self) { _ = try read(bytes) }
            do { _ = try read(bytes) } catch { #expect("\(error)".contains(expected), "\(bytes.prefix(60)): \(error)") }
        }
    }

    @Test("a server that never answers times out instead of hanging")
    func silentServer() throws {
        var fds: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        var reader = Reader(stream: PlainStream(fds[0]), deadline: .now + .milliseconds(200), maxBody: 1 << 20, streamDeadline: false)
        #expect(throws: HTTP1Error.self) { _ = try reader.head() }
    }
}
