import Foundation
import Testing
@testable import FirmBase
@testable import FirmLinux
import FirmTestSupport

/// The in-process namespace reader (setns and getifaddrs, processes from /proc) against `ip
/// -json` run in each namespace, on namespaces made for the test (root).
@Suite("linux provider: reading namespaces from inside firm agrees with ip")
struct NamespaceReaderTests {
    let prefix = "fr" + String(UUIDText.hex(6))

    @Test("links, flags, MACs, addresses with prefix lengths, processes and the default route read in firm are what ip reads; a missing namespace is left out")
    func agreesWithIP() throws {
        guard let ip = LinuxProviderTests.ip, getuid() == 0 else {
            Issue.record("needs root and iproute2")
            return
        }
        let (a, b) = (prefix + "-a", prefix + "-b")
        defer { for ns in [a, b] { _ = try? runChild(ip, ["netns", "del", ns]) } }
        for command in [["netns", "add", a], ["netns", "add", b],
                        ["-n", a, "link", "add", "eth0", "address", "02:00:00:aa:bb:01", "type", "veth", "peer", "name", "eth1", "netns", b],
                        ["-n", a, "addr", "add", "10.91.0.2/24", "dev", "eth0"], ["-n", a, "addr", "add", "10.92.0.2/28", "dev", "eth0"],
                        ["-n", a, "link", "set", "eth0", "up"], ["-n", b, "link", "set", "eth1", "up"], ["-n", a, "link", "set", "lo", "up"],
                        ["-n", a, "route", "add", "default", "via", "10.91.0.1"]] {
            let out = try runChild(ip, command)
            try #require(out.status == 0, "ip \(command.joined(separator: " ")): \(out.stderr)")
        }
        // A process in a, which the reader must find through /proc.
        // Started with posix_spawn and waited for on this thread: the test blocks no task it needs.
        let null = try ChildSpawn.nullInput()
        defer { close(null) }
        let sleeper = try ChildSpawn.spawn(ip, ["netns", "exec", a, "sleep", "300"], environment: ProcessInfo.processInfo.environment, stdin: null, stdout: null, stderr: null)
        let pid = sleeper.pid
        defer {
            sleeper.signal(SIGKILL)
            _ = sleeper.wait()
        }
        let ours = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/net")
        #expect(waitUntil(.seconds(30)) { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/net")).map { $0 != ours } == true },
                "the sleeper entered the namespace")
        let kernel = LinuxKernel(ip: ip)
        let asked = [a, b, prefix + "-missing"]
        let inFirm = try #require(NamespaceReader.read(asked, processes: true), "root may enter namespaces")
        let throughIP = try kernel.shellInsides(asked, processes: true)
        #expect(Set(inFirm.keys) == [a, b] && Set(throughIP.keys) == [a, b])
        for ns in [a, b] {
            let mine = inFirm[ns]!.links.map { ($0.name, $0.isUp, $0.flags.contains("LOWER_UP"), $0.mac ?? "", $0.addresses, $0.prefixLengths) }
            let theirs = throughIP[ns]!.links.map { ($0.name, $0.isUp, $0.flags.contains("LOWER_UP"), $0.mac ?? "", $0.addresses, $0.prefixLengths) }
            #expect(mine.map { "\($0)" } == theirs.map { "\($0)" }, "\(ns)")
            #expect(inFirm[ns]!.pids.sorted() == throughIP[ns]!.pids.sorted(), "\(ns)")
        }
        #expect(inFirm[a]!.pids.contains(pid))
        #expect(inFirm[a]!.links.first { $0.name == "eth0" }?.addresses == ["10.91.0.2", "10.92.0.2"])
        #expect(inFirm[a]!.links.first { $0.name == "eth0" }?.prefixLengths == [24, 28])
        #expect(inFirm[a]!.hasDefaultRoute == true && inFirm[b]!.hasDefaultRoute == false)
    }
}
