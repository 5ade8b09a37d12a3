/// HMAC-SHA256 (RFC 2104), for AWS Signature Version 4. Tested against the RFC 4231 vectors.
public enum HMACSHA256 {
    /// The 32-byte MAC of `message` under `key`.
    public static func mac<Key: Sequence, Message: Sequence>(key: Key, message: Message) -> [UInt8]
    where Key.Element == UInt8, Message.Element == UInt8 {
        var block = Array(key)
        if block.count > 64 {
            var hasher = SHA256()
            hasher.update(block)
            block = hasher.finalize()
        }
        block += [UInt8](repeating: 0, count: 64 - block.count)
        var inner = SHA256()
        inner.update(block.map { $0 ^ 0x36 })
        inner.update(message)
        var outer = SHA256()
        outer.update(block.map { $0 ^ 0x5c })
        outer.update(inner.finalize())
        return outer.finalize()
    }

    /// The MAC of a string's UTF-8.
    public static func mac<Key: Sequence>(key: Key, _ message: String) -> [UInt8] where Key.Element == UInt8 {
        mac(key: key, message: Array(message.utf8))
    }

    /// Lowercase hex of bytes.
    public static func hex(_ bytes: [UInt8]) -> String { Hex.lower(bytes) }
}
