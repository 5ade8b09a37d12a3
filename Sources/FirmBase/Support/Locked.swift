import Synchronization

/// A value behind a `Mutex`, in a class so that escaping closures and tasks can share it.
package final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    package init(_ value: Value) {
        mutex = Mutex(value)
    }

    package func withLock<R: Sendable>(_ body: (inout sending Value) throws -> sending R) rethrows -> R {
        try mutex.withLock(body)
    }

    package var value: Value { mutex.withLock { $0 } }
}
