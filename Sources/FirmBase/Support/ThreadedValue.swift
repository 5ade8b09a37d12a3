import Foundation

/// A value computed on a thread of its own while the caller goes on with other work; `value`
/// waits for it. For pure computations (hashing a file's bytes) that overlap synchronous work
/// on the other core. The thread is not one of the cooperative pool's, so waiting for it can't
/// starve the pool of the thread that would finish it.
package final class ThreadedValue<T: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var result: T?

    package init(_ work: @escaping @Sendable () -> T) {
        let thread = Thread { [self] in
            let value = work()
            condition.lock()
            result = value
            condition.broadcast()
            condition.unlock()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// The result, once the thread has made it.
    package var value: T {
        condition.lock()
        defer { condition.unlock() }
        while result == nil { condition.wait() }
        return result!
    }
}
