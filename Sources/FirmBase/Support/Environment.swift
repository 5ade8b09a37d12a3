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
}

/// An environment variable named by `{"env": …}` that is not set.
public struct EnvironmentError: Error, Equatable, CustomStringConvertible {
    public var name: String
    public var neededBy: String
    public var description: String { "environment variable \(name) is not set (\(neededBy) needs it)" }

    public init(name: String, neededBy: String) {
        self.name = name
        self.neededBy = neededBy
    }
}
