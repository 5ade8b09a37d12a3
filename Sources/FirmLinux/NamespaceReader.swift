import Foundation
import FirmBase

/// Reads app namespaces from inside firm, with no child process: a thread made for the read
/// enters each namespace in turn (`setns`) and lists its interfaces and IPv4 addresses with
/// `getifaddrs` (a netlink dump); processes are found with one pass over /proc, matching each
/// process's network namespace to the namespaces' files under /run/netns, as `ip netns pids`
/// does. The thread is never reused: it ends after the read, in the namespace it entered last.
/// Where `setns` is refused (no CAP_SYS_ADMIN), `read` answers nil and callers run `ip`.
enum NamespaceReader {
    private typealias SetNS = @convention(c) (Int32, Int32) -> Int32
    private static let cloneNewNet: Int32 = 0x4000_0000
    private static let setns: SetNS? = dlsym(nil, "setns").map { unsafeBitCast($0, to: SetNS.self) }
    static let folder = "/run/netns/"

    /// Each of `namespaces` that exists, with its links and, when `processes`, its processes;
    /// nil when this process can't enter namespaces.
    static func read(_ namespaces: [String], processes: Bool) -> [String: NamespaceInside]? {
        guard let setns else { return nil }
        let answer = Locked<[String: NamespaceInside]?>(nil)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            answer.withLock { $0 = enter(namespaces, setns) }
            done.signal()
        }
        thread.stackSize = 1 << 20
        thread.start()
        done.wait()
        guard var result = answer.value else { return nil }
        if processes {
            let pids = self.processes(of: Array(result.keys))
            for name in result.keys { result[name]?.pids = pids[name] ?? [] }
        }
        return result
    }

    /// On the reading thread: each namespace's links; nil when one can't be entered or read.
    private static func enter(_ namespaces: [String], _ setns: SetNS) -> [String: NamespaceInside]? {
        var result: [String: NamespaceInside] = [:]
        for name in namespaces {
            let fd = open(folder + name, O_RDONLY | O_CLOEXEC)
            if fd < 0 {
                if errno == ENOENT { continue }
                return nil
            }
            defer { close(fd) }
            guard setns(fd, cloneNewNet) == 0, let links = interfaces() else { return nil }
            result[name] = NamespaceInside(links: links, pids: [], hasDefaultRoute: hasDefaultRoute())
        }
        return result
    }

    /// The interfaces of the thread's namespace: name, UP and LOWER_UP, MAC, IPv4 addresses
    /// with their prefix lengths; in the kernel's order.
    private static func interfaces() -> [KernelLink]? {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return nil }
        defer { freeifaddrs(list) }
        var order: [String] = []
        var links: [String: KernelLink] = [:]
        var entry = list
        while let item = entry?.pointee {
            entry = item.ifa_next
            guard let namePointer = item.ifa_name else { continue }
            let name = String(cString: namePointer)
            guard !name.isEmpty, name.utf8.count <= 15 else { continue }
            if links[name] == nil {
                order.append(name)
                var flags: [String] = []
                if item.ifa_flags & UInt32(IFF_UP) != 0 { flags.append("UP") }
                if item.ifa_flags & 0x10000 != 0 { flags.append("LOWER_UP") }
                links[name] = KernelLink(name: name, flags: flags, addresses: [])
            }
            guard let address = item.ifa_addr else { continue }
            switch Int32(address.pointee.sa_family) {
            case AF_PACKET:
                // sockaddr_ll: the hardware address's length at byte 11, the address from 12.
                let raw = UnsafeRawPointer(address)
                let length = Int(raw.load(fromByteOffset: 11, as: UInt8.self))
                if length == 6 {
                    links[name]?.mac = (0..<6).map { Hex.lower([raw.load(fromByteOffset: 12 + $0, as: UInt8.self)]) }.joined(separator: ":")
                }
            case AF_INET:
                let value = UnsafeRawPointer(address).load(fromByteOffset: 4, as: UInt32.self)
                let mask = item.ifa_netmask.map { UInt32(bigEndian: UnsafeRawPointer($0).load(fromByteOffset: 4, as: UInt32.self)) } ?? 0
                links[name]?.addresses.append(IPv4Address(UInt32(bigEndian: value)).description)
                links[name]?.prefixLengths.append(mask.nonzeroBitCount)
            default:
                break
            }
        }
        return order.compactMap { links[$0] }
    }

    /// Whether the thread's namespace has an IPv4 default route: a line of its routing table
    /// (/proc/thread-self/net/route, the thread's own namespace) whose destination is 0.
    private static func hasDefaultRoute() -> Bool? {
        guard let table = try? String(contentsOfFile: "/proc/thread-self/net/route", encoding: .utf8) else { return nil }
        return table.split(separator: "\n").dropFirst().contains { $0.split(whereSeparator: \.isWhitespace).dropFirst().first == "00000000" }
    }

    /// The processes in each of `namespaces`, by one pass over /proc.
    static func processes(of namespaces: [String]) -> [String: [Int32]] {
        var byInode: [UInt64: String] = [:]
        for name in namespaces {
            var info = stat()
            if stat(folder + name, &info) == 0 { byInode[UInt64(info.st_ino)] = name }
        }
        var result: [String: [Int32]] = [:]
        guard !byInode.isEmpty, let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return result }
        for entry in entries {
            guard let pid = Int32(entry), pid > 1 else { continue }
            var info = stat()
            guard stat("/proc/\(entry)/ns/net", &info) == 0, let name = byInode[UInt64(info.st_ino)] else { continue }
            result[name, default: []].append(pid)
        }
        return result
    }
}
