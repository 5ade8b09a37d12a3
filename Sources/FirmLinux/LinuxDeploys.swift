import FirmBase

/// One app to make at L2: its namespace, and eth0's veth with its port in the switch.
struct LinuxDeployJob: Sendable {
    var namespace: String
    var port: String
    var mac: String
    var label: LinuxLabel
}

/// L2 deploys, made together when they arrive together (`LinuxBatcher`), with four child
/// processes whatever their number: the namespace list (a namespace left by an interrupted
/// deploy is removed first, with its processes), one `ip -batch` in the host's namespace that
/// adds every namespace and its veth (created there with one end in the app's namespace and the
/// other in the switch), one in the switch that labels and raises each port, and a read of the
/// switch that judges each deploy by what the kernel has: its port, labelled. The label comes
/// last, so a namespace without its labelled port is known to be half made (findByName
/// removes it).
enum LinuxDeploys {
    /// The batch, on the switch queue: for each job, nil when it was made, or why not.
    static func make(_ kernel: LinuxKernel, _ jobs: [LinuxDeployJob], names: LinuxNames, book: LinuxAddressBook) throws -> [String?] {
        let existing = Set(try kernel.namespaces())
        for job in jobs {
            if existing.contains(job.namespace) { try kernel.deleteNamespace(job.namespace) }
            book.remove(job.namespace)
        }
        // The book is read before these namespaces exist: a fresh sandbox's first connect batch
        // then reads no namespace but its own.
        _ = try book.used(kernel, names, asked: [], read: [:])
        var host = existing.contains(names.sandboxSwitch) ? [] : ["netns add \(names.sandboxSwitch)"]
        for job in jobs {
            host += ["netns add \(job.namespace)",
                     "link add eth0 netns \(job.namespace) address \(job.mac) type veth peer name \(job.port) netns \(names.sandboxSwitch)"]
        }
        try kernel.run(["-force", "-batch", "-"], input: host.joined(separator: "\n") + "\n", tolerated: [""])
        try kernel.batch(in: names.sandboxSwitch, jobs.map { "link set \($0.port) alias \($0.label.text) up" }, force: true)
        let ports = Dictionary((try kernel.links(in: names.sandboxSwitch) ?? []).map { ($0.name, $0.alias) }, uniquingKeysWith: { a, _ in a })
        for job in jobs { book.made(job.namespace) }
        return jobs.map { job in
            ports[job.port] == job.label.text ? nil : "the kernel did not make namespace \(job.namespace) with its labelled port \(job.port) in \(names.sandboxSwitch)"
        }
    }
}
