import Foundation
import Synchronization

/// Random bytes from the kernel, read 4 KiB at a time from /dev/urandom (opened once) and handed
/// out in order. An apply makes a few random ids per action, and Swift's
/// `SystemRandomNumberGenerator` makes one getrandom call per 8 bytes it draws: those calls were
/// the most frequent system call of an apply. Where /dev/urandom can't be read (a bare chroot),
/// the system generator is used.
package enum RandomPool {
    private static let pool = Mutex(Pool())

    /// `count` random bytes, each handed out once.
    static func bytes(_ count: Int) -> [UInt8] {
        pool.withLock { $0.bytes(count) }
    }

    /// A generator for `random(in:using:)` that draws from the pool.
    package struct Generator: RandomNumberGenerator {
        package init() {}

        package mutating func next() -> UInt64 {
            RandomPool.bytes(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        }
    }

    /// The buffer and the descriptor it is filled from.
    private struct Pool {
        static let size = 4096
        var buffer = [UInt8](repeating: 0, count: size)
        var used = size
        var fd: Int32 = -2

        mutating func bytes(_ count: Int) -> [UInt8] {
            var out: [UInt8] = []
            out.reserveCapacity(count)
            while out.count < count {
                if used == Self.size && !refill() {
                    var generator = SystemRandomNumberGenerator()
                    while out.count < count { out.append(generator.next()) }
                    return out
                }
                let take = min(count - out.count, Self.size - used)
                out.append(contentsOf: buffer[used..<(used + take)])
                // What was handed out does not stay in memory.
                for i in used..<(used + take) { buffer[i] = 0 }
                used += take
            }
            return out
        }

        /// Fills the buffer; false when /dev/urandom can't be read.
        private mutating func refill() -> Bool {
            if fd == -2 { fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC) }
            guard fd >= 0 else { return false }
            let fd = self.fd
            var filled = 0
            while filled < Self.size {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, Self.size - filled) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { return false }
                filled += n
            }
            used = 0
            return true
        }
    }
}
