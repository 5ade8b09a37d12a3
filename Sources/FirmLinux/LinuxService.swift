import Foundation
import FirmBase
import FirmModel

/// An app's `Command`: a process started inside its namespace at powerOn, in a session of its
/// own so that it outlives firm, with its pid and output kept under the provider's folder
/// (`NAMESPACE.pid`, `NAMESPACE.log`). Whether it runs is read from the kernel (the processes
/// in the namespace), never from the pid file.
struct LinuxService: Sendable {
    let folder: String
    let namespace: String

    var pidFile: String { folder + "/" + namespace + ".pid" }
    var logFile: String { folder + "/" + namespace + ".log" }

    /// Starts `command` unless a process already runs in the namespace.
    func start(_ command: String, provider: LinuxProvider) async throws {
        let namespace = self.namespace, folder = self.folder, pidFile = self.pidFile, logFile = self.logFile
        try await provider.kernel("powerOn") { kernel in
            guard kernel.pids(in: namespace).isEmpty else { return }
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            // The service must not keep any descriptor of firm's (Foundation watches a socket
            // that each child holds to learn that it exited), so bash closes all but 0-2 first.
            let script = #"for fd in /proc/self/fd/*; do fd=${fd##*/}; [ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-"; done; "#
                + #"setsid "$1" netns exec "$2" /bin/sh -c "$3" >>"$4" 2>&1 </dev/null & echo $!"#
            let output = try kernel.spawn("/bin/bash", ["-c", script, "bash", kernel.ip, namespace, command, logFile], input: nil)
            let text = String(decoding: output.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard output.status == 0, let pid = Int32(text), pid > 1 else {
                throw KernelError.output("could not start the Command in namespace \(namespace): \(output.stderr.isEmpty ? "no process id" : output.stderr)")
            }
            try Data((text + "\n").utf8).write(to: URL(fileURLWithPath: pidFile), options: .atomic)
        }
    }

    /// Removes the pid file once the namespace is gone (the log stays, for reading).
    func forget() {
        try? FileManager.default.removeItem(atPath: pidFile)
    }
}
