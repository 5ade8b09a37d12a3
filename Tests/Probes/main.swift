import FirmBase
import Foundation
import Synchronization

// firm-test-probes: checks that need a process of their own, run by the tests.
//
//   firm-test-probes pool [--block-on-pool]
//
// `pool` asks whether HTTP/1.1 calls waiting for answers leave the cooperative pool's threads
// free. Inside the test process the answer would be a timing, and other tests' waits on the
// pool blur it; here nothing else runs. Run it with LIBDISPATCH_COOPERATIVE_POOL_STRICT=1, so
// that the pool has exactly one thread a core and never adds one: then a call that held a pool
// thread would keep a 20 ms sleep from resuming until the calls gave up, and the question needs
// no clock. It starts far more calls than cores against a server that never answers, sleeps
// 20 ms, and prints `free` (exit 0) if the sleep resumed while every call was still waiting, or
// `held` (exit 1) if some call had to end first. `--block-on-pool` makes each call block its
// pool thread instead, as a wrong client would, to show that the probe can tell.

/// A TCP listener on 127.0.0.1 that never accepts: connections wait in its backlog, or in the
/// kernel's handshake, with nothing said.
struct Silent {
    let fd: Int32
    let port: Int

    init() {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var size = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, size) == 0 && getsockname(fd, $0, &size) == 0 }
        }
        guard fd >= 0, ok, listen(fd, 16) == 0 else {
            FileHandle.standardError.write(Data("firm-test-probes: cannot listen on 127.0.0.1\n".utf8))
            exit(2)
        }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }
}

/// How many calls have ended.
final class Counter: Sendable {
    private let count = Mutex(0)
    var value: Int { count.withLock { $0 } }
    func add() { count.withLock { $0 += 1 } }
}

func poolProbe(blockOnPool: Bool) async -> Bool {
    let server = Silent()
    let client = HTTP1Client(host: "127.0.0.1", port: server.port, timeout: .seconds(8))
    let ended = Counter()
    // A wrong client needs only one call a core to hold the pool; each waits 3 s.
    let count = ProcessInfo.processInfo.activeProcessorCount + (blockOnPool ? 0 : 100)
    let calls = (0..<count).map { _ in
        Task {
            if blockOnPool {
                // What a wrong client does: a blocking wait, on the pool's thread.
                var entry = pollfd(fd: server.fd, events: 0, revents: 0)
                _ = poll(&entry, 1, 3000)
            } else {
                _ = try? await client.post("/v3/kv/range", body: Array("{}".utf8))
            }
            ended.add()
        }
    }
    try? await Task.sleep(for: .milliseconds(20))
    let waiting = count - ended.value
    for call in calls { call.cancel() }
    print("\(waiting == count ? "free" : "held"): the sleep resumed with \(waiting) of \(count) calls still waiting")
    return waiting == count
}

let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.first == "pool", arguments.count <= 2, arguments.count == 1 || arguments[1] == "--block-on-pool" else {
    FileHandle.standardError.write(Data("usage: firm-test-probes pool [--block-on-pool]\n".utf8))
    exit(2)
}
// Off the main actor: a nonisolated task resumes on the cooperative pool, which is the point.
let free = await Task.detached { await poolProbe(blockOnPool: arguments.count == 2) }.value
exit(free ? 0 : 1)
