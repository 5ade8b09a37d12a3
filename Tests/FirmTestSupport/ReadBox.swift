import Foundation
import Synchronization

/// Reads a pipe to its end on a thread of its own, so a full pipe never blocks the child. What
/// has come so far can be looked at while the child runs, for a test to wait on a line.
package final class ReadBox: @unchecked Sendable {
    private let read = Mutex<(data: Data, ended: Bool)>((Data(), false))
    private let done = DispatchSemaphore(value: 0)

    /// A thread of its own: blocked reads must not take libdispatch's threads, which Foundation
    /// needs to notice that a child exited.
    package init(_ handle: FileHandle) {
        Thread { [self] in
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                read.withLock { $0.data.append(chunk) }
            }
            read.withLock { $0.ended = true }
            done.signal()
        }.start()
    }

    /// Everything, once the writer has closed the pipe (waits for that).
    package func text() -> String {
        if !read.withLock({ $0.ended }) {
            done.wait()
            done.signal()
        }
        return soFar
    }

    /// What has been read until now, without waiting.
    package var soFar: String { read.withLock { String(decoding: $0.data, as: UTF8.self) } }
}
