import Foundation
import FirmBase

/// The checks CheckedProvider applies to each value a driver returns.
struct AnswerCheck {
    /// How deep data a driver returns may nest. The state stores it a few levels down and is
    /// read with `JSONReader.defaultMaxDepth`, so what is accepted here can always be read back.
    static let maxDepth = JSONReader.defaultMaxDepth / 2
    /// The longest name, id or interface accepted.
    static let maxText = 1024

    let secrets: Secrets

    /// A string that is stored and printed: redacted, bounded, with no control characters.
    func text(_ value: String, _ field: String) throws(AnswerError) -> String {
        let redacted = secrets.redact(value)
        if redacted.utf8.count > Self.maxText { throw .tooLong(field: field, limit: Self.maxText) }
        if let bad = redacted.unicodeScalars.first(where: ControlCharacters.isControl) {
            throw .controlCharacter(field: field, value: Self.escaped(redacted), character: bad)
        }
        return redacted
    }

    /// A VM name or uuid: a non-empty text.
    func name(_ value: String, _ field: String) throws(AnswerError) -> String {
        let checked = try text(value, field)
        if checked.isEmpty { throw .empty(field: field) }
        return checked
    }

    /// An IPv4 or IPv6 address, or empty.
    func address(_ value: String, _ field: String) throws(AnswerError) -> String {
        if value.isEmpty || Self.isIPAddress(value) { return value }
        throw .notAnAddress(field: field, value: Self.escaped(secrets.redact(value)))
    }

    func addresses(_ value: Addresses) throws(AnswerError) -> Addresses {
        Addresses(privateAddress: try address(value.privateAddress, "private address"), publicAddress: try address(value.publicAddress, "public address"))
    }

    func observation(_ o: Observation) throws(AnswerError) -> Observation {
        Observation(vmName: try text(o.vmName, "vmName"), vmUuid: try text(o.vmUuid, "vmUuid"), exists: o.exists, power: o.power,
                    addresses: try addresses(o.addresses), appName: try text(o.appName, "appName"), sandbox: try text(o.sandbox, "sandbox"),
                    vlans: o.vlans, subnetIds: try o.subnetIds.map { ids throws(AnswerError) in try ids.map { id throws(AnswerError) in try text(id, "subnet id") } })
    }

    /// Nested data (vmDetailsData): redacted, and no deeper than `maxDepth`.
    func nested(_ value: JSON, _ field: String) throws(AnswerError) -> JSON {
        if Self.depth(value) > Self.maxDepth { throw .tooDeep(field: field, limit: Self.maxDepth) }
        return secrets.redact(value)
    }

    /// A map of JSON values (deployedAppAdditionalData): each value checked as nested data.
    func nestedMap(_ value: [String: JSON], _ field: String) throws(AnswerError) -> [String: JSON] {
        var out: [String: JSON] = [:]
        for (key, item) in value { out[secrets.redact(key)] = try nested(item, "\(field).\(key)") }
        return out
    }

    static func depth(_ value: JSON) -> Int {
        switch value {
        case .array(let items): 1 + items.reduce(0) { max($0, depth($1)) }
        case .object(let o): 1 + o.members.reduce(0) { max($0, depth($1.value)) }
        default: 0
        }
    }

    static func isIPAddress(_ text: String) -> Bool {
        var v4 = in_addr(), v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }

    /// A short, printable rendering of a bad value for a message.
    static func escaped(_ text: String) -> String {
        let head = String(String.UnicodeScalarView(text.unicodeScalars.prefix(80)))
        return quoted(ControlCharacters.escaped(head, where: ControlCharacters.isControl) + (text.unicodeScalars.count > 80 ? "…" : ""))
    }
}

/// A driver answer that breaks a rule. Values are given escaped and redacted.
enum AnswerError: Error, Equatable {
    case tooLong(field: String, limit: Int)
    case controlCharacter(field: String, value: String, character: Unicode.Scalar)
    case empty(field: String)
    case notAnAddress(field: String, value: String)
    case tooDeep(field: String, limit: Int)
    case other(String)

    var message: String {
        switch self {
        case .tooLong(let field, let limit): "\(field) is longer than \(limit) bytes"
        case .controlCharacter(let field, let value, let character):
            "\(field) \(value) contains the control character U+\(String(character.value, radix: 16, uppercase: true))"
        case .empty(let field): "\(field) is empty"
        case .notAnAddress(let field, let value): "\(field) \(value) is not an IPv4 or IPv6 address"
        case .tooDeep(let field, let limit): "\(field) nests deeper than \(limit) levels"
        case .other(let message): message
        }
    }
}
