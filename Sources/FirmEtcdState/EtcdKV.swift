import Foundation
import FirmBase
import FirmModel

/// One key-value pair from a range or watch answer, checked: the gateway's base64 and its
/// int64s as strings (proto3 JSON leaves out fields that are zero).
struct EtcdKV: Sendable, Equatable {
    var key: String
    var value: [UInt8]
    var createRevision: Int
    var modRevision: Int
    var lease: Int

    static func decode(_ node: JSONNode, url: String) throws(StateError) -> EtcdKV {
        guard let keyText = node.member("key")?.plain.stringValue, let key = Base64.text(keyText) else {
            throw .unavailable(location: url, reason: "etcd answered a key-value pair without a valid base64 key")
        }
        let value: [UInt8]
        if let text = node.member("value")?.plain.stringValue {
            guard let bytes = Base64.bytes(text) else { throw .unavailable(location: url, reason: "etcd answered \(key) with a value that is not base64") }
            value = bytes
        } else {
            value = []
        }
        return EtcdKV(key: key, value: value, createRevision: try Etcd.int(node, "create_revision", url: url),
                      modRevision: try Etcd.int(node, "mod_revision", url: url), lease: try Etcd.int(node, "lease", url: url, in: 0...Int.max))
    }
}

/// Helpers for the gateway's JSON.
enum Etcd {
    /// An int64 member, which the gateway writes as a string; absent is 0.
    /// Every number etcd answers is checked against `range` before firm does anything with it;
    /// by default 0 to 2^62, far beyond any real revision and count, so that a revision plus one
    /// can't overflow. A lease id takes any non-negative int64, and is never computed with.
    static func int(_ node: JSONNode, _ key: String, url: String, in range: ClosedRange<Int> = 0...maxNumber) throws(StateError) -> Int {
        guard let member = node.member(key) else { return 0 }
        var value: Int?
        switch member.plain {
        case .string(let s): value = Int(s)
        case .number(let n): value = Int(n)
        default: break
        }
        guard let value else { throw .unavailable(location: url, reason: "etcd answered \(quoted(key)) as \(member.typeName) that is no integer") }
        guard range.contains(value) else {
            throw .unavailable(location: url, reason: "etcd answered \(quoted(key)) = \(value), outside \(range.lowerBound)...\(range.upperBound): not an answer etcd gives")
        }
        return value
    }

    /// The largest revision, count or size firm takes from etcd.
    static let maxNumber = 1 << 62

    static func bool(_ node: JSONNode, _ key: String) -> Bool {
        node.member(key)?.plain.boolValue ?? false
    }

    /// The answer's header revision.
    static func revision(_ node: JSONNode, url: String) throws(StateError) -> Int {
        guard let header = node.member("header") else { return 0 }
        return try int(header, "revision", url: url)
    }

    /// The key-value pairs of a range answer.
    static func kvs(_ node: JSONNode, url: String) throws(StateError) -> [EtcdKV] {
        guard let list = node.member("kvs") else { return [] }
        guard case .array(let items) = list.kind else { throw .unavailable(location: url, reason: "etcd answered kvs as \(list.typeName), not an array") }
        var out: [EtcdKV] = []
        out.reserveCapacity(items.count)
        for item in items { out.append(try EtcdKV.decode(item, url: url)) }
        return out
    }

    /// The end of the range of every key that starts with `prefix`.
    static func rangeEnd(_ prefix: String) -> String {
        var bytes = Array(prefix.utf8)
        // Prefixes here are ASCII and never end in 0xff.
        bytes[bytes.count - 1] += 1
        return String(decoding: bytes, as: UTF8.self)
    }

    static func key(_ text: String) -> JSON { .string(Base64.encode(Array(text.utf8))) }

    /// A txn's put.
    static func put(_ key: String, _ value: [UInt8], lease: Int? = nil) -> JSON {
        var o = JSONObject([("key", Etcd.key(key)), ("value", .string(Base64.encode(value)))])
        if let lease { o["lease"] = .string(String(lease)) }
        return ["request_put": .object(o)]
    }

    static func delete(_ key: String) -> JSON { ["request_delete_range": ["key": Etcd.key(key)]] }

    static func range(_ key: String) -> JSON { ["request_range": ["key": Etcd.key(key)]] }

    /// A compare that `key`'s create revision is `revision` (0: the key does not exist).
    static func created(_ key: String, _ revision: Int) -> JSON {
        ["key": Etcd.key(key), "result": "EQUAL", "target": "CREATE", "create_revision": .string(String(revision))]
    }

    /// A compare that `key`'s mod revision is `revision`.
    static func modified(_ key: String, _ revision: Int) -> JSON {
        ["key": Etcd.key(key), "result": "EQUAL", "target": "MOD", "mod_revision": .string(String(revision))]
    }
}

/// Base64 as the gateway writes it (standard alphabet, padded).
enum Base64 {
    static func encode(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }
    static func bytes(_ text: String) -> [UInt8]? { Data(base64Encoded: text).map { [UInt8]($0) } }
    /// Decoded as UTF-8 text, or nil when it is not valid base64 or UTF-8.
    static func text(_ text: String) -> String? {
        guard let bytes = bytes(text) else { return nil }
        return String(validating: bytes, as: UTF8.self)
    }
}
