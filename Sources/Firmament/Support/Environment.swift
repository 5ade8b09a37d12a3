import Foundation

/// Where `{"env": NAME}` values come from: the one place they are resolved.
public struct Environment: Sendable {
    private let lookup: @Sendable (String) -> String?

    public init(_ lookup: @escaping @Sendable (String) -> String?) {
        self.lookup = lookup
    }

    /// The process's environment, one variable at a time (`ProcessInfo.environment` copies the
    /// whole environment into a dictionary on every call).
    public static let process = Environment { name in getenv(name).map { String(decoding: UnsafeRawBufferPointer(start: $0, count: strlen($0)), as: UTF8.self) } }

    public subscript(name: String) -> String? { lookup(name) }

    /// Attribute values with `{"env": NAME}` read from the environment; `needs` names what
    /// needs a missing one, for the message.
    public func resolve(_ attributes: [String: AttributeValue], needs: (String) -> String) throws -> [String: String] {
        var out: [String: String] = [:]
        for (key, value) in attributes {
            switch value {
            case .literal(let s): out[key] = s
            case .env(let name):
                guard let s = self[name] else { throw EnvironmentError(name: name, neededBy: needs(key)) }
                out[key] = s
            }
        }
        return out
    }
}

/// An environment variable named by `{"env": …}` that is not set.
public struct EnvironmentError: Error, Equatable, CustomStringConvertible {
    public var name: String
    public var neededBy: String
    public var description: String { "environment variable \(name) is not set (\(neededBy) needs it)" }
}
