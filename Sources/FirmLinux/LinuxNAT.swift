import Foundation
import FirmBase

/// NAT for an L3 sandbox's private subnets, through nftables where it is installed and the
/// kernel has it: packets from a private subnet that leave the router by its uplink take the
/// uplink's address (masquerade), so private apps reach the host, and what the host reaches,
/// while nothing outside can reach them (the host has no route to a private subnet). Public
/// subnets need no NAT: the host routes them. The rules are the router namespace's table
/// `firm`, made anew from the router's subnets at each PrepareSandboxInfra and
/// CleanSandboxInfra; they go with the namespace.
enum LinuxNAT: Sendable, Equatable {
    case masquerading
    /// Why there is no NAT: nft is not installed, or it answered with an error.
    case unavailable(String)

    static func locate() -> String? {
        ["/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft", "/bin/nft"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The table, replaced whole: declared (so that the delete finds it), deleted, made again.
    static func ruleset(privateSubnets: [CIDR]) -> String {
        var lines = ["table ip firm", "delete table ip firm", "table ip firm {", "  chain postrouting {",
                     "    type nat hook postrouting priority srcnat; policy accept;"]
        lines += privateSubnets.map { "    oifname \"\(LinuxRouter.uplink)\" ip saddr \($0) masquerade" }
        lines += ["  }", "}"]
        return lines.joined(separator: "\n") + "\n"
    }

    /// Sets the router's NAT for `privateSubnets`; what came of it.
    static func apply(_ kernel: LinuxKernel, router: String, privateSubnets: [CIDR]) throws -> LinuxNAT {
        guard let nft = locate() else { return .unavailable("nft was not found in /usr/sbin, /sbin, /usr/bin or /bin; install nftables") }
        let answer = try kernel.spawn(kernel.ip, ["netns", "exec", router, nft, "-f", "-"], input: ruleset(privateSubnets: privateSubnets))
        guard answer.status == 0 else {
            return .unavailable("nft -f answered \(quoted(String(answer.stderr.trimmingCharacters(in: .whitespacesAndNewlines).prefix(160))))")
        }
        return .masquerading
    }

    /// Whether nft can make a NAT chain here, tried in a throwaway namespace (the catalog).
    static func probe(_ kernel: LinuxKernel, in namespace: String) throws -> LinuxNAT {
        try apply(kernel, router: namespace, privateSubnets: [])
    }

    var capability: String {
        switch self {
        case .masquerading: "nftables: private subnets reach the host through the router's uplink, masqueraded; public subnets are routed from the host"
        case .unavailable(let why): "unavailable (\(why)): private subnets reach only the sandbox; public subnets are routed from the host"
        }
    }
}
