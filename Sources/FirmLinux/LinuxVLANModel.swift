import Foundation
import FirmBase

/// How VLANs are made on this kernel. The provider always makes each VLAN a bridge of its own;
/// whether the kernel could have one VLAN-aware bridge (bridge vlan_filtering, which trunk
/// ports need) is found by trying, in a namespace made for the probe and removed after it.
enum LinuxVLANModel: Sendable, Equatable {
    /// The kernel makes a bridge with vlan_filtering 1.
    case filteringAvailable
    /// It answers, such as "Operation not supported".
    case filteringUnsupported(String)

    static let probePrefix = "firm-probe-"

    /// Tries `ip link add … type bridge vlan_filtering 1` in a throwaway namespace.
    static func probe(_ kernel: LinuxKernel) throws -> LinuxVLANModel {
        try inProbeNamespace(kernel) { namespace in
            let answer = try kernel.spawn(kernel.ip, ["-n", namespace, "link", "add", "probe0", "type", "bridge", "vlan_filtering", "1"], input: nil)
            return answer.status == 0 ? .filteringAvailable : .filteringUnsupported(answer.stderr.isEmpty ? "status \(answer.status)" : answer.stderr)
        }
    }

    /// Runs `body` with a namespace made for a probe, named with firm's pid, and removed after
    /// it; the probe namespaces of processes that are gone (killed mid-probe) go first.
    static func inProbeNamespace<T>(_ kernel: LinuxKernel, _ body: (String) throws -> T) throws -> T {
        for stale in try kernel.namespaces() where stale.hasPrefix(probePrefix) {
            let pid = stale.dropFirst(probePrefix.count).split(separator: "-").first.flatMap { Int32($0) }
            if let pid, pid > 1, kill(pid, 0) != 0, errno == ESRCH { try kernel.run(["netns", "del", stale], tolerated: ["No such file"]) }
        }
        let namespace = probePrefix + "\(getpid())-\(UUIDText.hex(4))"
        try kernel.addNamespace(namespace)
        defer { _ = try? kernel.run(["netns", "del", namespace], tolerated: ["No such file"]) }
        return try body(namespace)
    }

    /// The catalog's capabilities: the model in use, what the kernel offers, and trunk mode.
    var capabilities: [String: String] {
        switch self {
        case .filteringAvailable:
            ["vlanModel": "a bridge per VLAN (access ports, untagged)",
             "vlanFiltering": "available: this kernel makes VLAN-aware bridges, which the linux provider does not use yet",
             "trunk": "refused: trunk ports need the VLAN-aware model, which the linux provider does not build yet"]
        case .filteringUnsupported(let answer):
            ["vlanModel": "a bridge per VLAN (access ports, untagged)",
             "vlanFiltering": "unavailable: ip link add … type bridge vlan_filtering 1 answered \(quoted(String(answer.prefix(120))))",
             "trunk": "refused: trunk ports need a VLAN-aware bridge, which this kernel can't make"]
        }
    }
}
