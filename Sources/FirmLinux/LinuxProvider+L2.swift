import FirmBase
import FirmModel

/// L2: each VLAN is a bridge of its own in the sandbox's switch namespace (this kernel has no
/// bridge VLAN filtering nor 802.1Q), and an app is on a VLAN when one of its ports is in that
/// bridge and its interface has an address in the VLAN's subnet. An app's first VLAN takes its
/// eth0; each further VLAN gets a veth of its own (eth1, eth2, …). Each VLAN's subnet is carved
/// from the provider's `cidr` (`LinuxSubnets`), so an app on two VLANs reaches the peers of both.
extension LinuxProvider {
    /// One port of an app as the batch is planned: its index and its bridge.
    struct PlannedPort {
        var index: Int
        var master: String?
    }

    /// The batch as one plan over the switch as the kernel has it: every app namespace's new or
    /// removed veths and addresses as one `ip -batch` each, then the switch's bridges and ports
    /// as one, then each change is judged by what the kernel has afterwards, and empty bridges
    /// are removed.
    public func applyConnectivityChanges(_ changes: [VLANChange]) async throws -> [VLANResult] {
        let names = self.names
        let subnets = settings.subnets
        let targets = changes.map { (namespace: namespace($0.app), key: names.appKey($0.app.vmName)) }
        let book = addressBook
        return try await kernel("applyConnectivityChanges", onSwitch: true) { kernel -> [VLANResult] in
            do {
                return try Self.connect(kernel, changes, targets: targets, names: names, subnets: subnets, book: book)
            } catch {
                // Part of the batch may have changed addresses the book does not know of.
                book.forget()
                throw error
            }
        }
    }

    /// The batch on the switch queue (`applyConnectivityChanges`). Reads the switch before and
    /// after, and the targets' namespaces before (but those the book knows to have no address)
    /// and after (but those whose `ip -batch` the kernel accepted whole: what they have then is
    /// predicted from their commands); the other apps' addresses come from `book`.
    static func connect(_ kernel: LinuxKernel, _ changes: [VLANChange], targets: [(namespace: String, key: String)], names: LinuxNames,
                        subnets: LinuxSubnets, book: LinuxAddressBook) throws -> [VLANResult] {
        guard let links = try kernel.links(in: names.sandboxSwitch) else {
            return changes.map { change in
                change.kind == .removeVlan ? VLANResult(actionId: change.actionId, success: true)
                    : VLANResult(actionId: change.actionId, success: false, errorMessage: "the sandbox's switch namespace \(names.sandboxSwitch) does not exist (the app is not deployed)")
            }
        }
        // Each target's interfaces, and every address the sandbox's apps have.
        let targetNamespaces = Array(Set(targets.map(\.namespace))).sorted()
        let unknown = targetNamespaces.filter { !book.isKnownEmpty($0) }
        let insides = try kernel.insides(unknown, processes: false)
        var used = try book.used(kernel, names, asked: unknown, read: insides)
        // Each target's interfaces and their addresses as the batch will leave them.
        var predicted: [String: [String: [String]]] = [:]
        for namespace in targetNamespaces where !unknown.contains(namespace) || insides[namespace] != nil {
            predicted[namespace] = Dictionary((insides[namespace]?.links ?? []).map { ($0.name, $0.addresses) }, uniquingKeysWith: { a, _ in a })
        }
        var bridges = Set(links.map(\.name).filter { names.vlan(ofBridge: $0) != nil })
        var subnetOf: [String: CIDR] = [:]
        for link in links where bridges.contains(link.name) { subnetOf[link.name] = subnets.recorded(link.alias) }
        var ports: [String: [PlannedPort]] = [:]
        var carrier: [String: Bool] = [:]
        for link in links {
            guard let port = LinuxNames.parsePort(link.name) else { continue }
            ports[port.key, default: []].append(PlannedPort(index: port.index, master: link.master))
            if port.index == 0 { carrier[port.key] = link.flags.contains("LOWER_UP") }
        }
        var inside: [String: [String]] = [:]
        var namespaceOrder: [String] = []
        var onSwitch: [String] = []
        var refused: [Int: String] = [:]
        /// The subnet of `bridge`, given to it (and recorded on it) when it has none.
        func subnet(_ bridge: String, vlan: Int) -> CIDR? {
            if let known = subnetOf[bridge] { return known }
            guard let chosen = subnets.choose(vlan: vlan, taken: Set(subnetOf.values)) else { return nil }
            subnetOf[bridge] = chosen
            onSwitch.append("link set \(bridge) alias \(LinuxSubnets.alias(chosen))")
            return chosen
        }
        for (i, change) in changes.enumerated() {
            let (namespace, key) = targets[i]
            let bridge = names.bridge(vlan: change.vlan)
            var mine = ports[key] ?? []
            func add(_ command: String) {
                if inside[namespace] == nil { namespaceOrder.append(namespace) }
                inside[namespace, default: []].append(command)
                if predicted[namespace] != nil { Self.predict(&predicted[namespace]!, command) }
            }
            switch change.kind {
            case .setVlan:
                if change.mode == .trunk {
                    refused[i] = "trunk mode needs a VLAN-aware bridge (bridge vlan_filtering and 802.1Q), which the linux provider does not use: each VLAN is a bridge of its own; connect the app to each network in access mode"
                    continue
                }
                guard !mine.isEmpty else {
                    refused[i] = "VM \(quoted(change.app.vmName)) has no port in the switch \(names.sandboxSwitch) (is it deployed?)"
                    continue
                }
                if !bridges.contains(bridge) {
                    onSwitch += ["link add \(bridge) type bridge", "link set \(bridge) up"]
                    bridges.insert(bridge)
                }
                guard let vlanSubnet = subnet(bridge, vlan: change.vlan) else {
                    refused[i] = "every subnet of \(subnets.cidr) of length /\(subnets.prefix) is taken by another VLAN of the sandbox; widen cidr or lengthen subnetPrefix"
                    continue
                }
                // The port already in the bridge, else eth0 when free, else a port left
                // without a bridge (by an interrupted run), else a new veth.
                let index: Int
                if let on = mine.first(where: { $0.master == bridge }) {
                    index = on.index
                } else if mine.contains(where: { $0.index == 0 && $0.master == nil }) {
                    index = 0
                } else if let spare = mine.filter({ $0.index > 0 && $0.master == nil }).map(\.index).min() {
                    index = spare
                } else {
                    index = (mine.map(\.index).max() ?? 0) + 1
                    guard index <= 99 else {
                        refused[i] = "VM \(quoted(change.app.vmName)) is on 100 VLANs already"
                        continue
                    }
                    let eth = LinuxNames.interface(index)
                    add("link add \(eth) address \(LinuxNames.mac(vmName: change.app.vmName, interface: eth)) type veth peer name \(LinuxNames.port(appKey: key, index: index)) netns \(names.sandboxSwitch)")
                    if carrier[key] == true { add("link set \(eth) up") }
                }
                // Its address in the VLAN's subnet, unless it has one there already.
                let eth = LinuxNames.interface(index)
                let current = insides[namespace]?.links.first { $0.name == eth }?.addresses.compactMap(IPv4Address.init) ?? []
                if !current.contains(where: vlanSubnet.contains) {
                    guard let address = LinuxSubnets.free(in: vlanSubnet, used: used) else {
                        refused[i] = "no free address left in \(vlanSubnet), the subnet of VLAN \(change.vlan)"
                        continue
                    }
                    used.insert(address.value)
                    if !current.isEmpty { add("addr flush dev \(eth)") }
                    add("addr add \(address)/\(vlanSubnet.prefix) dev \(eth)")
                }
                mine.removeAll { $0.index == index }
                mine.append(PlannedPort(index: index, master: bridge))
                let port = LinuxNames.port(appKey: key, index: index)
                onSwitch += ["link set \(port) master \(bridge)", "link set \(port) up"]
            case .removeVlan:
                guard let on = mine.first(where: { $0.master == bridge }) else { continue }
                if on.index == 0 {
                    onSwitch.append("link set \(LinuxNames.port(appKey: key, index: 0)) nomaster")
                    add("addr flush dev eth0")
                    mine = mine.map { $0.index == 0 ? PlannedPort(index: 0, master: nil) : $0 }
                } else {
                    add("link del \(LinuxNames.interface(on.index))")
                    mine.removeAll { $0.index == on.index }
                }
            }
            ports[key] = mine
        }
        let perNamespace = namespaceOrder.map { ($0, inside[$0] ?? []) }
        let answers = try KernelLanes.map(perNamespace) { namespace, commands in try kernel.batch(in: namespace, commands, force: true) }
        try kernel.batch(in: names.sandboxSwitch, onSwitch, force: true)
        let after = try kernel.links(in: names.sandboxSwitch) ?? []
        // Read again: a namespace whose batch failed in part, or whose state was not known.
        let failed = Set(zip(namespaceOrder, answers).filter { $0.1.status != 0 }.map(\.0))
        var insidesAfter = try kernel.insides(targetNamespaces.filter { failed.contains($0) || predicted[$0] == nil }, processes: false)
        for (namespace, links) in predicted where !failed.contains(namespace) {
            insidesAfter[namespace] = NamespaceInside(links: links.keys.sorted().map { KernelLink(name: $0, flags: [], addresses: links[$0]!) }, pids: [])
        }
        book.update(asked: targetNamespaces, read: insidesAfter)
        let subnetsAfter = Dictionary(after.compactMap { link in subnets.recorded(link.alias).map { (link.name, $0) } }, uniquingKeysWith: { a, _ in a })
        let results = changes.enumerated().map { i, change -> VLANResult in
            if let reason = refused[i] { return VLANResult(actionId: change.actionId, success: false, errorMessage: reason) }
            let bridge = names.bridge(vlan: change.vlan)
            let on = after.first { LinuxNames.parsePort($0.name)?.key == targets[i].key && $0.master == bridge }
            switch change.kind {
            case .setVlan:
                guard let on, let index = LinuxNames.parsePort(on.name)?.index else {
                    return VLANResult(actionId: change.actionId, success: false,
                                      errorMessage: "the kernel did not put VM \(quoted(change.app.vmName)) in bridge \(bridge) of \(names.sandboxSwitch)")
                }
                let eth = LinuxNames.interface(index)
                let addresses = insidesAfter[targets[i].namespace]?.links.first { $0.name == eth }?.addresses.compactMap(IPv4Address.init) ?? []
                guard let vlanSubnet = subnetsAfter[bridge], addresses.contains(where: vlanSubnet.contains) else {
                    return VLANResult(actionId: change.actionId, success: false,
                                      errorMessage: "the kernel did not give \(eth) of VM \(quoted(change.app.vmName)) an address in the subnet of bridge \(bridge)")
                }
                return VLANResult(actionId: change.actionId, success: true,
                                  updatedInterface: LinuxNames.mac(vmName: change.app.vmName, interface: eth))
            case .removeVlan:
                return on == nil ? VLANResult(actionId: change.actionId, success: true)
                    : VLANResult(actionId: change.actionId, success: false, errorMessage: "the kernel still has VM \(quoted(change.app.vmName)) in bridge \(bridge)")
            }
        }
        try Self.sweep(kernel, names)
        return results
    }

    /// What one `ip` command of a connect batch does to a namespace's interfaces (name →
    /// addresses), as `connect` writes them.
    static func predict(_ links: inout [String: [String]], _ command: String) {
        let words = command.split(separator: " ").map(String.init)
        guard words.count >= 3 else { return }
        switch (words[0], words[1]) {
        case ("link", "add"): links[words[2]] = links[words[2]] ?? []
        case ("link", "del"): links[words[2]] = nil
        case ("addr", "flush") where words.count >= 4: links[words[3]] = []
        case ("addr", "add") where words.count >= 5: links[words[4], default: []].append(String(words[2].split(separator: "/")[0]))
        default: break
        }
    }
}
