import Foundation
import Testing
@testable import FirmBase

/// ChildSpawn, the posix_spawn runner that stands in for Foundation's Process.
@Suite("Child processes started with posix_spawn")
struct ChildSpawnTests {
    /// Runs `script` with /bin/sh and returns its status, stdout and stderr.
    func run(_ script: String, input: String? = nil) throws -> (status: Int32, out: String, err: String) {
        let out = try ChildSpawn.pipe(), err = try ChildSpawn.pipe()
        let stdin = input == nil ? (read: try ChildSpawn.nullInput(), write: Int32(-1)) : try ChildSpawn.pipe()
        let child = try ChildSpawn.spawn("/bin/sh", ["-c", script], environment: ["PATH": "/usr/bin:/bin", "GREETING": "hello"],
                                         stdin: stdin.read, stdout: out.write, stderr: err.write)
        close(out.write); close(err.write); close(stdin.read)
        if let input {
            ChildSpawn.writeAll(Array(input.utf8), to: stdin.write)
            close(stdin.write)
        }
        let errors = Locked<[UInt8]>([])
        let reader = Thread { errors.withLock { $0 = ChildSpawn.drain(err.read, limit: 1 << 20) } }
        reader.start()
        let output = ChildSpawn.drain(out.read, limit: 1 << 20)
        let status = child.wait()
        while !reader.isFinished { usleep(1_000) }
        close(out.read); close(err.read)
        return (status, String(decoding: output, as: UTF8.self), String(decoding: errors.withLock { $0 }, as: UTF8.self))
    }

    @Test("a child's exit status, stdout, stderr, stdin and environment are its own")
    func basics() throws {
        let result = try run(#"echo "$GREETING"; cat; echo oops >&2; exit 3"#, input: "from stdin\n")
        #expect(result.status == 3)
        #expect(result.out == "hello\nfrom stdin\n")
        #expect(result.err == "oops\n")
    }

    @Test("a child ended by a signal reports 128 + the signal")
    func signalled() throws {
        #expect(try run("kill -9 $$").status == 128 + 9)
    }

    @Test("a child gets no descriptor of firm's but its stdin, stdout and stderr")
    func noLeakedDescriptors() throws {
        let held = open("/dev/null", O_RDONLY)  // not close-on-exec: Process would have closed it
        defer { close(held) }
        let fds = try run("ls /proc/$$/fd").out.split(separator: "\n").map(String.init).sorted()
        #expect(fds == ["0", "1", "2"] || fds == ["0", "1", "2", "10"], "\(fds)")
    }

    @Test("a program that does not exist is a clear error, not a crash")
    func missing() {
        let out = try? ChildSpawn.pipe()
        #expect(throws: ChildSpawn.Failure.self) {
            try ChildSpawn.spawn("/nonexistent/program", [], environment: [:], stdin: out?.read ?? 0, stdout: out?.write ?? 1, stderr: 2)
        }
        if let out { close(out.read); close(out.write) }
    }
}
