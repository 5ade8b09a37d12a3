import Foundation
import FirmBase

/// `swift run -c release firm-bench linux [--apps N] [--parallelism P] [--rounds R] [--write-docs]`
/// (root): the linux provider as a lab engineer meets it, as whole `firm` processes, against the
/// shell script one writes by hand, which makes the same namespaces, veths, bridges and addresses
/// with `ip`, one command at a time (no labels, checks, state or observation).
///
/// - Apply N apps on two `"vlan": "auto"` networks (each app on one, alternating) at
///   parallelism P: the wall time, and the child processes firm starts per app (counted from
///   `--verbose`, which logs one line for each), against the script's.
/// - A no-op `firm plan` of the N apps: its wall time and child processes (a constant).
/// - `firm destroy`, against the script's teardown (`ip netns del`, one at a time).
///
/// Each round runs firm's apply, plan and destroy, then the script and its teardown, each
/// apply 5 s after the last teardown (the kernel frees deleted namespaces on a worker of its
/// own, after `ip netns del` returns); the figures are the medians of the rounds.
enum LinuxBench {
    struct Run {
        var wall: Double
        /// Child processes firm started (its `--verbose` lines from the provider).
        var children: Int
    }

    struct Result {
        var apps: Int
        var parallelism: Int
        var rounds: Int
        var apply: Run
        var plan: Run
        var destroy: Run
        var script: Double
        var scriptCommands: Int
        var teardown: Double
    }

    static func run(_ args: BenchArguments) async throws {
        guard getuid() == 0 else { throw BenchError("the linux benchmark makes network namespaces: run it as root (CAP_NET_ADMIN)") }
        guard let ip = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw BenchError("iproute2's ip was not found; install iproute2")
        }
        let apps = args.int("--apps", 200), parallelism = args.int("--parallelism", 50), rounds = args.int("--rounds", 3)
        let firm = try ProcessBench.firmBinary()
        let dir = try FirmBench.temporaryDirectory()
        try blueprint(apps: apps).write(toFile: dir + "/bench.json", atomically: true, encoding: .utf8)
        let script = self.script(apps: apps, ip: ip)
        try script.make.write(toFile: dir + "/make.sh", atomically: true, encoding: .utf8)
        try script.teardown.write(toFile: dir + "/teardown.sh", atomically: true, encoding: .utf8)
        var applies: [Run] = [], plans: [Run] = [], destroys: [Run] = [], scripts: [Double] = [], teardowns: [Double] = []
        // The kernel frees a deleted namespace later, on a worker of its own: each measure
        // starts after the last teardown's work is done.
        func settle() { Thread.sleep(forTimeInterval: 5) }
        for round in 1...rounds {
            settle()
            applies.append(try measure(firm, ["apply", "bench.json", "--auto-approve", "--parallelism", String(parallelism), "--verbose"], in: dir))
            plans.append(try measure(firm, ["plan", "bench.json", "--verbose"], in: dir))
            destroys.append(try measure(firm, ["destroy", "bench.json", "--auto-approve", "--parallelism", String(parallelism), "--verbose"], in: dir))
            settle()
            scripts.append(try measure("/bin/bash", [dir + "/make.sh"], in: dir).wall)
            teardowns.append(try measure("/bin/bash", [dir + "/teardown.sh"], in: dir).wall)
            print(String(format: "round %d: firm apply %.2f s (%d child processes), plan %.2f s (%d), destroy %.2f s; the script %.2f s, its teardown %.2f s",
                         round, applies.last!.wall, applies.last!.children, plans.last!.wall, plans.last!.children, destroys.last!.wall, scripts.last!, teardowns.last!))
        }
        func median(_ runs: [Run]) -> Run { runs.sorted { $0.wall < $1.wall }[runs.count / 2] }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        let result = Result(apps: apps, parallelism: parallelism, rounds: rounds, apply: median(applies), plan: median(plans), destroy: median(destroys),
                            script: median(scripts), scriptCommands: script.commands, teardown: median(teardowns))
        for row in rows(result) { print("\(row.0): \(row.1)") }
        if args.flag("--write-docs") { try write(result) }
    }

    /// `apps` apps of the linux provider on two auto VLANs, alternating.
    static func blueprint(apps: Int) -> String {
        let names = (0..<apps).map { String(format: "app%05d", $0) }
        let list = names.map { #""\#($0)": {"deploymentPath": {"provider": "lab", "deploymentType": "netns"}}"# }.joined(separator: ",\n    ")
        let connectors = names.enumerated().map { #"{"from": "\#($1)", "to": "\#($0 % 2 == 0 ? "red" : "blue")"}"# }.joined(separator: ",\n    ")
        return """
            {
              "version": 1,
              "name": "linux-bench",
              "providers": {"lab": {"type": "linux", "connectivity": "L2", "settings": {"cidr": "10.80.0.0/16", "subnetPrefix": 20, "bridge": "fbf"}}},
              "apps": {
                \(list)
              },
              "networks": {"red": {"provider": "lab", "vlan": "auto"}, "blue": {"provider": "lab", "vlan": "auto"}},
              "connectors": [
                \(connectors)
              ]
            }
            """
    }

    /// The hand-written script: a switch namespace with a bridge per VLAN, and per app a
    /// namespace, a veth into the switch, an address, and the links up; one `ip` a step.
    static func script(apps: Int, ip: String) -> (make: String, teardown: String, commands: Int) {
        var make = ["set -e", "\(ip) netns add fbs-switch", "\(ip) -n fbs-switch link set lo up"]
        for bridge in ["fbsred", "fbsblue"] { make += ["\(ip) -n fbs-switch link add \(bridge) type bridge", "\(ip) -n fbs-switch link set \(bridge) up"] }
        var teardown = ["set -e"]
        for i in 0..<apps {
            let ns = "fbs-\(i)", port = "fbsp\(i)", red = i % 2 == 0
            let address = red ? "10.81.\(i / 250).\(i % 250 + 1)/20" : "10.81.\(16 + i / 250).\(i % 250 + 1)/20"
            make += ["\(ip) netns add \(ns)", "\(ip) -n \(ns) link set lo up", "\(ip) -n \(ns) link add eth0 type veth peer name \(port) netns fbs-switch",
                     "\(ip) -n \(ns) addr add \(address) dev eth0", "\(ip) -n \(ns) link set eth0 up",
                     "\(ip) -n fbs-switch link set \(port) master \(red ? "fbsred" : "fbsblue")", "\(ip) -n fbs-switch link set \(port) up"]
            teardown.append("\(ip) netns del \(ns)")
        }
        teardown.append("\(ip) netns del fbs-switch")
        return (make.joined(separator: "\n") + "\n", teardown.joined(separator: "\n") + "\n", make.count - 1)
    }

    /// One whole process: its wall time, and how many child processes firm logged.
    static func measure(_ executable: String, _ arguments: [String], in dir: String) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: dir)
        // Both streams go to files: a pipe read only at the end would fill up and stall it.
        let outFile = dir + "/out.txt", errFile = dir + "/err.txt"
        guard FileManager.default.createFile(atPath: outFile, contents: nil), FileManager.default.createFile(atPath: errFile, contents: nil) else {
            throw BenchError("cannot create \(outFile)")
        }
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outFile)), err = try FileHandle(forWritingTo: URL(fileURLWithPath: errFile))
        process.standardOutput = out
        process.standardError = err
        let start = ContinuousClock.now
        try process.run()
        process.waitUntilExit()
        let wall = ContinuousClock.now - start
        try? out.close()
        try? err.close()
        let errText = String(decoding: FileManager.default.contents(atPath: errFile) ?? Data(), as: UTF8.self)
        guard process.terminationStatus == 0 || arguments.first == "plan" && process.terminationStatus == 2 else {
            throw BenchError("\(executable) \(arguments.joined(separator: " ")) exited \(process.terminationStatus): \(errText.suffix(2000))")
        }
        let children = errText.split(separator: "\n").filter { $0.hasPrefix("driver: [lab] ") && !$0.hasPrefix("driver: [lab] (in firm)") }.count
        return Run(wall: wall.seconds, children: children)
    }

    static func rows(_ r: Result) -> [(String, String, String)] {
        let perApp = { (n: Int) in String(format: "%.1f", Double(n) / Double(max(r.apps, 1))) }
        return [
            ("apply \(r.apps) apps on two VLANs at parallelism \(r.parallelism): wall time",
             String(format: "%.2f s; the script %.2f s (firm takes %.2f× the script's time)", r.apply.wall, r.script, r.apply.wall / max(r.script, 0.001)),
             "faster than the script"),
            ("the same apply: child processes per app", "\(perApp(r.apply.children)) (\(r.apply.children) in all); the script \(perApp(r.scriptCommands))", "–"),
            ("no-op `firm plan` of \(r.apps) apps: wall time, child processes", String(format: "%.2f s, %d", r.plan.wall, r.plan.children), "a constant number of kernel queries"),
            ("destroy \(r.apps) apps", String(format: "%.2f s (%d child processes); the script's teardown %.2f s", r.destroy.wall, r.destroy.children, r.teardown), "–"),
        ]
    }

    static func write(_ r: Result) throws {
        let begin = "<!-- linux-bench -->", end = "<!-- /linux-bench -->"
        let table = rows(r).map { "| \($0.0) | \($0.1) | \($0.2) |" }.joined(separator: "\n")
        let section = """
            \(begin)
            ## The linux provider

            `sudo swift run -c release firm-bench linux` (root; the median of \(r.rounds) rounds, each of firm's apply, no-op plan and destroy, then the script and its teardown). Whole `firm` processes, release build; child processes are those firm starts, counted from `--verbose`, which logs one line for each (power on's child runs a shell in the app's namespace, which runs two `ip`s; the app namespaces are read from inside firm, with `setns` and `getifaddrs`, one netlink dump each and no child process). Each apply starts 5 s after the last teardown: the kernel frees deleted namespaces on a worker of its own, after `ip netns del` returns. The script is what a lab engineer writes by hand: the same namespaces, veths, bridges and addresses, made with `ip` one command at a time (\(r.scriptCommands) commands), with no labels, checks, state or observation. Machine: \(Machine.summary).

            | measure | result | goal |
            |---|---|---|
            \(table)
            \(end)
            """
        try DocsSection.write(section, begin: begin, end: end, what: "linux")
    }
}
