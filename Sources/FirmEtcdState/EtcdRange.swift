import FirmBase
import FirmModel

/// Reading many keys page by page, at one revision, so that a large state (10,000 apps) is
/// never one huge answer and a reader sees one consistent version of it.
extension EtcdClient {
    /// Every key that starts with `prefix`, in key order, with `pageSize` keys a page.
    func rangeAll(prefix: String, pageSize: Int = 1000, keysOnly: Bool = false) async throws -> (kvs: [EtcdKV], revision: Int) {
        var page = try await self.page(prefix: prefix, from: prefix, revision: 0, size: pageSize, keysOnly: keysOnly,
                                       budget: RangeBudget(prefix: prefix, url: address.url))
        var out = page.kvs
        while let next = page.next {
            page = try await self.page(prefix: prefix, from: next, revision: page.revision, size: pageSize, keysOnly: keysOnly, budget: page.budget)
            out.append(contentsOf: page.kvs)
        }
        return (out, page.revision)
    }

    /// One page of keys from `start` (inclusive) to the end of `prefix`'s range, at `revision`
    /// (0: the current one); the page, where the next page starts (nil: none follows), the
    /// revision it was read at, and `budget` with this page taken.
    func page(prefix: String, from start: String, revision: Int, size: Int = 1000, keysOnly: Bool = false, budget: RangeBudget) async throws
        -> (kvs: [EtcdKV], next: String?, revision: Int, budget: RangeBudget) {
        let end = Etcd.rangeEnd(prefix)
        var body = JSONObject([("key", Etcd.key(start)), ("range_end", Etcd.key(end)), ("limit", .string(String(size)))])
        if revision > 0 { body["revision"] = .string(String(revision)) }
        if keysOnly { body["keys_only"] = .bool(true) }
        let answer = try await call("/v3/kv/range", .object(body))
        let page = try Etcd.kvs(answer, url: address.url)
        let at = revision > 0 ? revision : try Etcd.revision(answer, url: address.url)
        let more = Etcd.bool(answer, "more")
        var budget = budget
        try budget.take(page, from: start, end: end, limit: size, more: more)
        guard more, let last = page.last else { return (page, nil, at, budget) }
        return (page, last.key + "\u{0}", at, budget)
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

/// The bounds on reading a range page by page. Each page must make progress (keys in order,
/// inside the range, after where it started, no more than asked for, and full when more follow),
/// and all of them together stay within a key count far above any real state (a 100,000-app
/// state is about 100,000 keys and 40 MB) and the local state's own size limit. A server that answers `more`
/// for ever, or the same page again, is stopped with an error instead of read until memory
/// runs out.
struct RangeBudget: Sendable {
    /// The most keys read from one range.
    static let maxKeys = 1_000_000
    /// The most bytes of keys and values read from one range.
    static let maxBytes = FileIO.stateLimit

    let prefix: String
    let url: String
    private(set) var keys = 0
    private(set) var bytes = 0

    init(prefix: String, url: String) {
        self.prefix = prefix
        self.url = url
    }

    mutating func take(_ page: [EtcdKV], from start: String, end: String, limit: Int, more: Bool) throws(StateError) {
        func refuse(_ why: String) -> StateError {
            .unavailable(location: url, reason: "reading the keys under \(quoted(prefix)): \(why); nothing was read from it")
        }
        if page.count > limit { throw refuse("etcd answered \(page.count) keys to a page of \(limit)") }
        // etcd says more follow only when a page is full.
        if more && page.count < limit { throw refuse("etcd said more keys follow a page of \(page.count), short of the \(limit) asked for") }
        // Keys compare as etcd orders them: by their bytes.
        func before(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }
        var previous: String?
        for kv in page {
            guard !before(kv.key, start), before(kv.key, end) else { throw refuse("etcd answered \(quoted(kv.key)), outside the range asked for") }
            if let previous, !before(previous, kv.key) { throw refuse("etcd answered the keys of a page out of order, or twice") }
            previous = kv.key
            bytes += kv.key.utf8.count + kv.value.count
        }
        keys += page.count
        if keys > Self.maxKeys { throw refuse("more than \(Self.maxKeys) keys, far more than any state holds") }
        if bytes > Self.maxBytes { throw refuse("more than \(Self.maxBytes >> 20) MB, the most firm reads of one state") }
    }
}
