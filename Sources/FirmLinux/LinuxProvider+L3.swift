import Foundation
import FirmBase
import FirmModel

/// L3 (`"connectivity": "L3"`): PrepareSandboxInfra makes the sandbox's router (`LinuxRouter`:
/// the switch namespace with forwarding on, a bridge per subnet holding its gateway, an uplink
/// to the host that routes the public subnets, and NAT for the private ones where nftables is
/// there), and CleanSandboxInfra removes it, or some of its subnets; what is already gone is
/// no error. An app is deployed onto its subnets: a veth per subnet (eth0, eth1, …) whose port
/// is in the subnet's bridge, with an address of the subnet; at power on it gets a default
/// route through its first subnet's gateway (the kernel drops routes of a link that goes down).
extension LinuxProvider: L3Infrastructure {
    var router: LinuxRouter { LinuxRouter(names: names) }

    public func prepareSandboxInfra(_ request: InfraRequest) async throws -> InfraResult {
        guard LinuxKernel.hasNetAdmin() else {
            throw error("prepareSandboxInfra", "firm lacks CAP_NET_ADMIN, which network namespaces, veths and bridges need; run it as root or grant the capability (nothing was made)")
        }
        var wanted: [LinuxRouter.Subnet] = []
        for subnet in request.subnets {
            guard let cidr = CIDR(subnet.cidr), cidr.prefix <= 30, Name.isValid(subnet.name) else {
                throw error("prepareSandboxInfra", "subnet \(quoted(subnet.name)): \(quoted(subnet.cidr)) is not an IPv4 network of /30 or wider")
            }
            wanted.append(LinuxRouter.Subnet(network: subnet.name, cidr: cidr, isPublic: subnet.isPublic))
        }
        let router = self.router, subnets = wanted
        _ = try await kernel("prepareSandboxInfra", onSwitch: true) { kernel in try Self.prepare(kernel, router, subnets) }
        return InfraResult(networkId: router.namespace, subnetIds: Dictionary(subnets.map { ($0.network, router.bridge(network: $0.network)) }, uniquingKeysWith: { a, _ in a }),
                           keys: nil)
    }

    public func cleanSandboxInfra(_ request: InfraCleanup) async throws {
        let router = request.sandbox == names.sandbox ? self.router : LinuxRouter(names: LinuxNames(prefix: settings.prefix, sandbox: request.sandbox))
        try await kernel("cleanSandboxInfra", onSwitch: true) { kernel in try Self.clean(kernel, router, request) }
    }

    /// Get-or-create, on the switch queue: the router, its uplink, each subnet's bridge (made
    /// anew when its CIDR changed and no app is on it), the host's routes to the public subnets,
    /// and the NAT of the private ones; what came of the NAT.
    static func prepare(_ kernel: LinuxKernel, _ router: LinuxRouter, _ wanted: [LinuxRouter.Subnet]) throws -> LinuxNAT {
        let namespace = router.namespace
        try kernel.addNamespace(namespace)
        try kernel.run(["netns", "exec", namespace, "/bin/sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward"])
        var links = try kernel.links(in: namespace) ?? []
        if !links.contains(where: { $0.name == LinuxRouter.uplink }) {
            try kernel.run(["link", "del", router.hostLink], tolerated: ["Cannot find device"])
            try refuseTransitClash(kernel, router)
            try kernel.run(["link", "add", router.hostLink, "type", "veth", "peer", "name", LinuxRouter.uplink, "netns", namespace])
        }
        try kernel.run(["-batch", "-"], input: "addr replace \(router.hostAddress)/30 dev \(router.hostLink)\nlink set \(router.hostLink) up\n")
        try kernel.batch(in: namespace, ["link set lo up", "addr replace \(router.routerAddress)/30 dev \(LinuxRouter.uplink)", "link set \(LinuxRouter.uplink) up",
                                         "route replace default via \(router.hostAddress) dev \(LinuxRouter.uplink)"])
        links = try kernel.links(in: namespace) ?? []
        var have = router.subnets(links)
        let used = Set(links.compactMap(\.master))
        var commands: [String] = []
        var unrouted: [CIDR] = []
        for subnet in wanted {
            let bridge = router.bridge(network: subnet.network)
            if let old = have[bridge], old.cidr == subnet.cidr {
                if old != subnet { commands.append("link set \(bridge) alias \(subnet.alias)") }
                if old.isPublic && !subnet.isPublic { unrouted.append(old.cidr) }
            } else {
                if links.contains(where: { $0.name == bridge }) {
                    guard !used.contains(bridge) else {
                        throw KernelError.output("subnet \(quoted(subnet.network)) still has apps on \(have[bridge]?.cidr.description ?? "its bridge \(bridge)"); replace them before its CIDR changes")
                    }
                    if let old = have[bridge], old.isPublic { unrouted.append(old.cidr) }
                    commands.append("link del \(bridge)")
                }
                if let clash = have.first(where: { $0.key != bridge && $0.value.cidr.overlaps(subnet.cidr) })?.value {
                    throw KernelError.output("subnet \(subnet.cidr) of \(quoted(subnet.network)) overlaps subnet \(quoted(clash.network)) (\(clash.cidr)) of router \(namespace)")
                }
                // A MAC of its own: a bridge otherwise takes its lowest port's, so the gateway's
                // MAC would change as apps come and go, and the router's neighbours be flushed.
                commands += ["link add \(bridge) address \(LinuxNames.mac(vmName: bridge, interface: "gateway")) type bridge", "link set \(bridge) alias \(subnet.alias)",
                             "addr add \(subnet.gateway)/\(subnet.cidr.prefix) dev \(bridge)", "link set \(bridge) up"]
            }
            have[bridge] = subnet
        }
        try kernel.batch(in: namespace, commands)
        for cidr in unrouted { try kernel.run(["route", "del", cidr.description, "dev", router.hostLink], tolerated: ["No such process", "Cannot find device"]) }
        for subnet in have.values.sorted(by: { $0.network < $1.network }) where subnet.isPublic { try routeFromHost(kernel, router, subnet) }
        return try LinuxNAT.apply(kernel, router: namespace, privateSubnets: privateSubnets(have))
    }

    /// On the switch queue: everything of the sandbox's router (refused while an app namespace
    /// of the sandbox is left), or the subnets named; what is gone already is no error.
    static func clean(_ kernel: LinuxKernel, _ router: LinuxRouter, _ request: InfraCleanup) throws {
        guard let links = try kernel.links(in: router.namespace) else {
            try kernel.run(["link", "del", router.hostLink], tolerated: ["Cannot find device"])
            return
        }
        if request.all {
            if let app = try kernel.namespaces().first(where: { router.names.appKey(ofNamespace: $0) != nil }) {
                throw KernelError.output("namespace \(app) of the sandbox is still on the router \(router.namespace) (DependencyViolation); delete its app first")
            }
            try kernel.deleteNamespace(router.namespace)
            try kernel.run(["link", "del", router.hostLink], tolerated: ["Cannot find device"])
            return
        }
        var have = router.subnets(links)
        let used = Set(links.compactMap(\.master))
        for id in request.subnetIds where router.isBridge(id) && links.contains(where: { $0.name == id }) {
            guard !used.contains(id) else {
                throw KernelError.output("subnet \(quoted(have[id]?.network ?? id)) still has apps' ports in bridge \(id) (DependencyViolation); delete its apps first")
            }
            if let subnet = have[id], subnet.isPublic {
                try kernel.run(["route", "del", subnet.cidr.description, "dev", router.hostLink], tolerated: ["No such process", "Cannot find device"])
            }
            try kernel.run(["-n", router.namespace, "link", "del", id], tolerated: ["Cannot find device"])
            have[id] = nil
        }
        _ = try LinuxNAT.apply(kernel, router: router.namespace, privateSubnets: privateSubnets(have))
    }

    static func privateSubnets(_ subnets: [String: LinuxRouter.Subnet]) -> [CIDR] {
        subnets.values.filter { !$0.isPublic }.map(\.cidr).sorted { $0.network.value < $1.network.value }
    }

    /// The host's route to a public subnet, through the uplink; refused when the host routes
    /// that subnet elsewhere already (another sandbox of the same blueprint, say).
    static func routeFromHost(_ kernel: LinuxKernel, _ router: LinuxRouter, _ subnet: LinuxRouter.Subnet) throws {
        let cidr = subnet.cidr.description
        let existing = try KernelJSON.array(kernel.run(["-json", "route", "show", "exact", cidr]).stdout, source: "ip -json route show exact \(cidr)")
        if let other = existing.compactMap({ $0["dev"]?.stringValue }).first(where: { $0 != router.hostLink }) {
            throw KernelError.output("public subnet \(quoted(subnet.network)) (\(cidr)) is already routed on this host through \(other); give this sandbox's subnets other CIDRs")
        }
        try kernel.run(["route", "replace", cidr, "via", router.routerAddress.description, "dev", router.hostLink])
    }

    /// Refuses an uplink whose /30 some other host link has (two sandboxes whose names hash
    /// alike, or a network of the host's own in 169.254.0.0/16).
    static func refuseTransitClash(_ kernel: LinuxKernel, _ router: LinuxRouter) throws {
        let links = try KernelJSON.links(kernel.run(["-json", "addr", "show"]).stdout, source: "ip -json addr show")
        if let clash = links.first(where: { $0.name != router.hostLink && $0.addresses.contains { IPv4Address($0).map(router.transit.contains) == true } }) {
            throw KernelError.output("the uplink's network \(router.transit) is already on host link \(clash.name); remove it, or rename the sandbox")
        }
    }

    /// Deploys onto the request's subnets (`deploy` on an L3 provider), on the switch queue.
    func deployL3(_ request: DeployRequest) async throws -> DeployAppResult {
        guard !request.subnets.isEmpty else {
            throw error("deploy", "app \(quoted(request.appName)) is on no subnet; on an L3 linux provider every app needs a connector to one of its networks")
        }
        guard request.subnets.count <= 100 else { throw error("deploy", "app \(quoted(request.appName)) is on \(request.subnets.count) subnets; at most 100") }
        let namespace = names.namespace(vmName: request.vmName)
        let key = names.appKey(request.vmName)
        let label = LinuxLabel(app: request.appName, vmName: request.vmName)
        guard label.text.utf8.count <= 255 else { throw error("deploy", "the VM name \(quoted(request.vmName)) is too long for the kernel's link alias (255 bytes)") }
        let router = self.router, names = self.names, book = addressBook
        let subnetIds = request.subnets.map(\.subnetId)
        let vmName = request.vmName
        let addresses = try await kernel("deploy", onSwitch: true) { kernel -> [IPv4Address] in
            guard let links = try kernel.links(in: router.namespace) else {
                throw KernelError.output("the sandbox's router namespace \(router.namespace) does not exist (PrepareSandboxInfra has not made it)")
            }
            let subnets = router.subnets(links)
            try kernel.deleteNamespace(namespace)
            book.remove(namespace)
            var used = try book.used(kernel, names, asked: [], read: [:])
            var inside: [String] = [], onRouter: [String] = [], addresses: [IPv4Address] = []
            for (index, id) in subnetIds.enumerated() {
                guard let subnet = subnets[id] else {
                    throw KernelError.output("subnet \(id) is not a bridge of router \(router.namespace) (removed outside firm? a plan and apply make it again)")
                }
                used.insert(subnet.gateway.value)
                guard let address = LinuxSubnets.free(in: subnet.cidr, used: used) else {
                    throw KernelError.output("no free address left in \(subnet.cidr), subnet \(quoted(subnet.network))")
                }
                used.insert(address.value)
                let eth = LinuxNames.interface(index)
                inside += ["link add \(eth) address \(LinuxNames.mac(vmName: vmName, interface: eth)) type veth peer name \(LinuxNames.port(appKey: key, index: index)) netns \(router.namespace)",
                           "addr add \(address)/\(subnet.cidr.prefix) dev \(eth)"]
                onRouter.append("link set \(LinuxNames.port(appKey: key, index: index)) master \(id)")
                addresses.append(address)
            }
            try kernel.addNamespace(namespace)
            try kernel.batch(in: namespace, inside)
            try kernel.batch(in: router.namespace, onRouter)
            // The label last: a namespace whose first port has none is known to be half made.
            try kernel.run(["-n", router.namespace, "link", "set", LinuxNames.port(appKey: key, index: 0), "alias", label.text, "up"])
            book.made(namespace, addresses: Set(addresses.map(\.value)))
            return addresses
        }
        let mac = LinuxNames.mac(vmName: request.vmName, interface: LinuxNames.interface(0))
        return DeployAppResult(vmName: request.vmName, vmUuid: namespace, deployedAppAddress: addresses[0].description,
                               deployedAppAdditionalData: ["namespace": .string(namespace), "router": .string(router.namespace)],
                               vmDetailsData: ["vmNetworkData": [["interfaceId": "eth0", "isPrimary": true, "privateIpAddress": .string(addresses[0].description),
                                                                  "networkData": [["key": "MAC Address", "value": .string(mac), "hidden": false]]]],
                                               "appName": .string(request.appName), "errorMessage": ""])
    }
}
