import Foundation

/// A small mutex for the few places that need one outside an actor.
package final class NSLockBox: @unchecked Sendable {
    private let lock = NSLock()

    package init() {}

    package func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}
