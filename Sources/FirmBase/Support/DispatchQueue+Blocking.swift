import Foundation

extension DispatchQueue {
    /// Runs `work` on this queue and waits for it without holding a thread of Swift's
    /// cooperative pool: for work that blocks (reading a large file, fsync, a socket). Give it a
    /// serial queue: Dispatch adds a thread for a serial queue when all are busy, while a
    /// concurrent queue's threads are, on Linux, the ones the cooperative pool runs on.
    package func perform<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            self.async { continuation.resume(with: Result { try work() }) }
        }
    }

    /// The same, for work that can't fail.
    package func perform<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { (continuation: CheckedContinuation<T, Never>) in
            self.async { continuation.resume(returning: work()) }
        }
    }
}
