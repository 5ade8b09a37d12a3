import FirmBase
import FirmModel

/// Reading many keys page by page, at one revision, so that a large state (10,000 apps) is
/// never one huge answer and a reader sees one consistent version of it.
extension EtcdClient {
    /// Every key that starts with `prefix`, in key order, with `pageSize` keys a page.
    func rangeAll(prefix: String, pageSize: Int = 1000, keysOnly: Bool = false) async throws -> (kvs: [EtcdKV], revision: Int) {
        let url = address.url
        let end = Etcd.rangeEnd(prefix)
        var start = prefix
        var revision = 0
        var out: [EtcdKV] = []
        while true {
            var body = JSONObject([("key", Etcd.key(start)), ("range_end", Etcd.key(end)), ("limit", .string(String(pageSize)))])
            if revision > 0 { body["revision"] = .string(String(revision)) }
            if keysOnly { body["keys_only"] = .bool(true) }
            let answer = try await call("/v3/kv/range", .object(body))
            if revision == 0 { revision = try Etcd.revision(answer, url: url) }
            let page = try Etcd.kvs(answer, url: url)
            out.append(contentsOf: page)
            guard Etcd.bool(answer, "more"), let last = page.last else { break }
            guard last.key >= start else { throw StateError.unavailable(location: url, reason: "etcd answered a range page out of order") }
            start = last.key + "\u{0}"
        }
        return (out, revision)
    }

    /// One page of keys from `start` (inclusive) to the end of `prefix`'s range, at `revision`
    /// (0: the current one); the page, whether more follow, the revision it was read at, and
    /// where the next page starts.
    func page(prefix: String, from start: String, revision: Int, size: Int = 1000) async throws -> (kvs: [EtcdKV], next: String?, revision: Int) {
        var body = JSONObject([("key", Etcd.key(start)), ("range_end", Etcd.key(Etcd.rangeEnd(prefix))), ("limit", .string(String(size)))])
        if revision > 0 { body["revision"] = .string(String(revision)) }
        let answer = try await call("/v3/kv/range", .object(body))
        let page = try Etcd.kvs(answer, url: address.url)
        let at = revision > 0 ? revision : try Etcd.revision(answer, url: address.url)
        guard Etcd.bool(answer, "more"), let last = page.last else { return (page, nil, at) }
        guard last.key >= start else { throw StateError.unavailable(location: address.url, reason: "etcd answered a range page out of order") }
        return (page, last.key + "\u{0}", at)
    }

    /// One key, or nil.
    func get(_ key: String) async throws -> EtcdKV? {
        let answer = try await call("/v3/kv/range", ["key": Etcd.key(key)])
        return try Etcd.kvs(answer, url: address.url).first
    }

    /// A transaction; whether its compares held, the answer's revision, and its responses.
    func txn(compare: [JSON], success: [JSON], failure: [JSON] = []) async throws -> (succeeded: Bool, revision: Int, responses: [JSONNode]) {
        let answer = try await call("/v3/kv/txn", ["compare": .array(compare), "success": .array(success), "failure": .array(failure)])
        var responses: [JSONNode] = []
        if let list = answer.member("responses"), case .array(let items) = list.kind { responses = items }
        return (Etcd.bool(answer, "succeeded"), try Etcd.revision(answer, url: address.url), responses)
    }
}
