import Foundation
import FirmBase

/// The `ip` commands the provider runs, and what it reads back, each answer parsed as hostile
/// input. A failure names the command and what `ip` said.
struct LinuxKernel: Sendable {
    let ip: String
    /// Receives a line for each child process started (`firm … --verbose`), or nil.
    var log: (@Sendable (String) -> Void)? = nil

    /// Runs a child process to its end (`KernelCommand`), telling `log` first.
    func spawn(_ executable: String, _ arguments: [String], input: String?) throws -> CommandOutput {
        if let log { log(Self.describe(executable, arguments, input: input)) }
        return try KernelCommand.runBlocking(executable, arguments, input: input)
    }

    /// The log's line for a child: its program and arguments (at most 300 bytes), and how many
    /// lines its input has (an `ip -batch`'s commands).
    static func describe(_ executable: String, _ arguments: [String], input: String?) -> String {
        var text = ([URL(fileURLWithPath: executable).lastPathComponent] + arguments).joined(separator: " ")
        if text.utf8.count > 300 { text = String(decoding: text.utf8.prefix(300), as: UTF8.self) + "…" }
        if let input { text += " <<\(input.split(separator: "\n").count) lines" }
        return text
    }

    /// The first `ip` found in the usual places.
    static func locate() -> String? {
        ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Whether this process has CAP_NET_ADMIN in its effective set (bit 12 of /proc's CapEff).
    static func hasNetAdmin() -> Bool {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("CapEff:") }),
              let mask = UInt64(line.dropFirst("CapEff:".count).trimmingCharacters(in: .whitespaces), radix: 16)
        else { return false }
        return mask & (1 << 12) != 0
    }

    /// Runs `ip ARGS`, failing on a non-zero status unless `stderr` says something `tolerated`
    /// ("" tolerates every failure).
    @discardableResult
    func run(_ arguments: [String], input: String? = nil, tolerated: [String] = []) throws -> CommandOutput {
        let output = try spawn(ip, arguments, input: input)
        // An empty string tolerates any failure (String.contains("") is false).
        if output.status != 0, !tolerated.contains(where: { $0.isEmpty || output.stderr.contains($0) }) {
            throw KernelError.failed(command: (["ip"] + arguments).joined(separator: " "), status: output.status, stderr: output.stderr)
        }
        return output
    }

    /// Every network namespace's name.
    func namespaces() throws -> [String] {
        let output = try run(["-json", "netns", "list"])
        return try KernelJSON.namespaces(output.stdout, source: "ip -json netns list")
    }

    /// The links of `namespace`, with their addresses, or nil when it does not exist.
    func links(in namespace: String) throws -> [KernelLink]? {
        let output = try run(["-n", namespace, "-json", "-d", "addr", "show"], tolerated: ["Cannot open network namespace"])
        if output.status != 0 { return nil }
        return try KernelJSON.links(output.stdout, source: "ip -n \(namespace) -json -d addr show")
    }

    /// For each of `namespaces` that exists: its links with their addresses, and the processes
    /// in it unless `processes` is false (then none are read). One child process for all of them
    /// (a shell that runs `ip` in each).
    func insides(_ namespaces: [String], processes: Bool = true) throws -> [String: NamespaceInside] {
        guard !namespaces.isEmpty else { return [:] }
        // From inside firm, with no child process, where it may enter namespaces.
        if let read = NamespaceReader.read(namespaces, processes: processes) {
            log?("(in firm) read \(namespaces.count) namespace(s) with setns and getifaddrs")
            return read
        }
        // Many namespaces: a few shells at once (`KernelLanes`), each reading its share.
        if namespaces.count > 8 {
            let parts = try KernelLanes.map(KernelLanes.chunks(namespaces)) { try self.shellInsides($0, processes: processes) }
            return parts.reduce(into: [:]) { all, part in all.merge(part) { a, _ in a } }
        }
        return try shellInsides(namespaces, processes: processes)
    }

    /// `insides` through a shell that runs `ip` in each namespace.
    func shellInsides(_ namespaces: [String], processes: Bool) throws -> [String: NamespaceInside] {
        let pids = processes ? "\"\(ip)\" netns pids \"$ns\" 2>/dev/null || :; " : ""
        let script = """
            for ns; do printf '\\n@@netns %s\\n' "$ns"; "\(ip)" -n "$ns" -json addr show 2>/dev/null || printf '@@missing\\n'; \
            printf '\\n@@pids\\n'; \(pids)done
            """
        let output = try spawn("/bin/sh", ["-c", script, "sh"] + namespaces, input: nil)
        guard output.status == 0 else { throw KernelError.failed(command: "ip -n NS -json addr show (each namespace)", status: output.status, stderr: output.stderr) }
        var result: [String: NamespaceInside] = [:]
        let text = String(decoding: output.stdout, as: UTF8.self)
        for section in text.components(separatedBy: "\n@@netns ").dropFirst() {
            guard let newline = section.firstIndex(of: "\n") else { continue }
            let name = String(section[..<newline])
            guard namespaces.contains(name) else { throw KernelError.output("ip -json addr show: a namespace that was not asked for: \(quoted(name))") }
            let parts = section[section.index(after: newline)...].components(separatedBy: "\n@@pids\n")
            guard parts.count == 2 else { throw KernelError.output("ip -n \(name) -json addr show: unexpected output") }
            if parts[0].hasPrefix("@@missing") { continue }
            let links = try KernelJSON.links(Array(parts[0].utf8), source: "ip -n \(name) -json addr show")
            var pids: [Int32] = []
            for word in parts[1].split(whereSeparator: \.isWhitespace) {
                guard let pid = Int32(word), pid > 1 else { throw KernelError.output("ip netns pids \(name): \(quoted(String(word.prefix(20)))) is not a process id") }
                pids.append(pid)
            }
            result[name] = NamespaceInside(links: links, pids: pids)
        }
        return result
    }

    /// The processes in each of `namespaces` (none for one that does not exist), from one pass
    /// over /proc inside firm (`NamespaceReader`), as `ip netns pids` finds them.
    func processes(in namespaces: [String]) -> [String: [Int32]] {
        guard !namespaces.isEmpty else { return [:] }
        log?("(in firm) read the processes of \(namespaces.count) namespace(s) from /proc")
        return NamespaceReader.processes(of: namespaces)
    }

    /// The processes in `namespace` (none when it does not exist).
    func pids(in namespace: String) -> [Int32] {
        processes(in: [namespace])[namespace] ?? []
    }

    /// Kills every process in `namespace` (SIGKILL), so that none outlives it.
    func killAll(in namespace: String) {
        for pid in pids(in: namespace) { kill(pid, SIGKILL) }
    }

    /// Removes `namespace` and with it every veth with an end in it; a missing one is no error.
    func deleteNamespace(_ namespace: String) throws {
        killAll(in: namespace)
        try run(["netns", "del", namespace], tolerated: ["No such file"])
    }

    /// Adds `namespace`; one that exists already is no error.
    func addNamespace(_ namespace: String) throws {
        try run(["netns", "add", namespace], tolerated: ["File exists"])
    }

    /// Raises lo and every `ethN` of `namespace` after turning on its `arp_notify` (so that a
    /// change of an interface's MAC is announced with gratuitous ARP), and reads its links and
    /// addresses then; nil when the namespace does not exist. One child: `ip netns exec` runs a
    /// shell there, which lists the interfaces (`ip netns exec` mounts the namespace's own
    /// /sys), runs one `ip -batch` and becomes `ip -json -d addr show`.
    func raise(_ namespace: String) throws -> [KernelLink]? {
        let script = """
            echo 1 > /proc/sys/net/ipv4/conf/all/arp_notify || exit 1
            { echo 'link set lo up'; for d in /sys/class/net/eth*; do [ -e "$d" ] && echo "link set ${d##*/} up"; done; } | "$0" -batch - || exit 1
            exec "$0" -json -d addr show
            """
        let output = try run(["netns", "exec", namespace, "/bin/sh", "-c", script, ip], tolerated: ["Cannot open network namespace"])
        if output.status != 0 { return nil }
        return try KernelJSON.links(output.stdout, source: "ip -n \(namespace) -json -d addr show")
    }

    /// The link `name` of `namespace` (with `ip -d`'s details), or nil when either is missing.
    func link(_ name: String, in namespace: String) throws -> KernelLink? {
        let output = try run(["-n", namespace, "-json", "-d", "link", "show", "dev", name], tolerated: ["does not exist", "Cannot open network namespace", "Cannot find device"])
        if output.status != 0 { return nil }
        return try KernelJSON.links(output.stdout, source: "ip -n \(namespace) -json -d link show dev \(name)").first
    }

    /// Runs `commands` (one `ip` command a line, without "ip") in `namespace` as one batch;
    /// `force` goes on past a failing line.
    @discardableResult
    func batch(in namespace: String, _ commands: [String], force: Bool = false) throws -> CommandOutput {
        guard !commands.isEmpty else { return CommandOutput(status: 0, stdout: [], stderr: "") }
        return try run(["-n", namespace] + (force ? ["-force"] : []) + ["-batch", "-"], input: commands.joined(separator: "\n") + "\n", tolerated: force ? [""] : [])
    }
}

/// What is inside one app namespace.
struct NamespaceInside: Sendable {
    var links: [KernelLink]
    var pids: [Int32]
    /// Whether the namespace has a default route; nil when it was not read (through `ip`).
    var hasDefaultRoute: Bool? = nil
}
