import Foundation
import Synchronization

/// The socket one HTTP request is using, so that cancelling the request's task can stop a
/// blocking call on it at once: `cancel` shuts the socket down, which wakes a `poll`, `recv`,
/// `send` or a connect in progress, and the request then ends with CancellationError. Only the
/// thread doing the I/O closes the socket, after `release`, so `cancel` never touches a
/// descriptor that was closed and reused.
final class CancellableSocket: Sendable {
    private let state = Mutex<(fd: Int32?, cancelled: Bool)>((nil, false))

    /// Marks `fd` as the socket in use; false when the request was already cancelled (then the
    /// caller closes it and stops).
    func use(_ fd: Int32) -> Bool {
        state.withLock { state in
            if state.cancelled { return false }
            state.fd = fd
            return true
        }
    }

    /// Stops marking a socket as in use; whether the request was cancelled (its socket, if it
    /// was in use then, is shut down and can't be kept).
    @discardableResult
    func release() -> Bool {
        state.withLock { state in
            state.fd = nil
            return state.cancelled
        }
    }

    var isCancelled: Bool { state.withLock { $0.cancelled } }

    /// Cancels the request: the socket in use, if any, is shut down both ways.
    func cancel() {
        state.withLock { state in
            state.cancelled = true
            if let fd = state.fd { _ = shutdown(fd, Int32(SHUT_RDWR)) }
        }
    }

    /// `error`, or CancellationError when the request was cancelled (what a shut-down socket
    /// made fail is the cancellation, not a broken connection).
    func cause(_ error: any Error) -> any Error {
        isCancelled ? CancellationError() : error
    }
}
