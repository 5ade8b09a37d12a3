import Foundation
import FirmBase

/// Deletes, made together when they arrive together (`LinuxBatcher`): every process of the
/// namespaces killed (one child reads them all), the namespaces removed with one `ip -batch`
/// (their veths go with them), then at L2 the bridges left without ports and the switch once
/// the sandbox has no app left; each delete is judged by the namespace list afterwards. A
/// namespace that is already gone is no error.
enum LinuxDeletes {
    static func remove(_ kernel: LinuxKernel, _ namespaces: [String], names: LinuxNames, book: LinuxAddressBook, sweep: Bool) throws -> [String?] {
        let present = Set(try kernel.namespaces())
        let doomed = Array(Set(namespaces).intersection(present)).sorted()
        for (_, pids) in kernel.processes(in: doomed) {
            for pid in pids { kill(pid, SIGKILL) }
        }
        try kernel.run(["-force", "-batch", "-"], input: doomed.map { "netns del \($0)\n" }.joined(), tolerated: [""])
        for namespace in namespaces { book.remove(namespace) }
        // The sweep lists the namespaces after the deletions; without one, they are listed here.
        let listed = sweep ? try LinuxProvider.sweep(kernel, names) : nil
        let left = doomed.isEmpty ? [] : Set(try listed ?? kernel.namespaces())
        return namespaces.map { left.contains($0) ? "the kernel did not remove namespace \($0)" : nil }
    }
}
