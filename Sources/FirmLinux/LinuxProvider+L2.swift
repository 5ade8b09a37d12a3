import FirmBase
import FirmModel

/// L2: each VLAN is a bridge of its own in the sandbox's switch namespace (this kernel has no
/// bridge VLAN filtering nor 802.1Q), and an app is on a VLAN when one of its ports is in that
/// bridge. An app's first VLAN takes its eth0; each further VLAN gets a veth of its own (eth1,
/// eth2, …), which carries no address.
extension LinuxProvider {
    /// One port of an app as the batch is planned: its index and its bridge.
    struct PlannedPort {
        var index: Int
        var master: String?
    }

    /// The batch as one plan over the switch as the kernel has it: every app namespace's new or
    /// removed veths as one `ip -batch` each, then the switch's bridges and ports as one, then
    /// each change is judged by what the kernel has afterwards, and empty bridges are removed.
    public func applyConnectivityChanges(_ changes: [VLANChange]) async throws -> [VLANResult] {
        let names = self.names
        let targets = changes.map { (namespace: namespace($0.app), key: names.appKey($0.app.vmName)) }
        return try await kernel("applyConnectivityChanges", onSwitch: true) { kernel -> [VLANResult] in
            guard let links = try kernel.links(in: names.sandboxSwitch) else {
                return changes.map { change in
                    change.kind == .removeVlan ? VLANResult(actionId: change.actionId, success: true)
                        : VLANResult(actionId: change.actionId, success: false, errorMessage: "the sandbox's switch namespace \(names.sandboxSwitch) does not exist (the app is not deployed)")
                }
            }
            var bridges = Set(links.map(\.name).filter { names.vlan(ofBridge: $0) != nil })
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
            for (i, change) in changes.enumerated() {
                let (namespace, key) = targets[i]
                let bridge = names.bridge(vlan: change.vlan)
                var mine = ports[key] ?? []
                func add(_ command: String) {
                    if inside[namespace] == nil { namespaceOrder.append(namespace) }
                    inside[namespace, default: []].append(command)
                }
                switch change.kind {
                case .setVlan:
                    if change.mode == .trunk {
                        refused[i] = "trunk mode needs a VLAN-aware bridge (bridge vlan_filtering and 802.1Q), which the linux provider does not use: each VLAN is a bridge of its own; connect the app to each network in access mode"
                        continue
                    }
                    if mine.contains(where: { $0.master == bridge }) { continue }
                    guard !mine.isEmpty else {
                        refused[i] = "VM \(quoted(change.app.vmName)) has no port in the switch \(names.sandboxSwitch) (is it deployed?)"
                        continue
                    }
                    if !bridges.contains(bridge) {
                        onSwitch += ["link add \(bridge) type bridge", "link set \(bridge) up"]
                        bridges.insert(bridge)
                    }
                    let index: Int
                    if mine.contains(where: { $0.index == 0 && $0.master == nil }) {
                        index = 0
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
                    mine.removeAll { $0.index == index }
                    mine.append(PlannedPort(index: index, master: bridge))
                    let port = LinuxNames.port(appKey: key, index: index)
                    onSwitch += ["link set \(port) master \(bridge)", "link set \(port) up"]
                case .removeVlan:
                    guard let on = mine.first(where: { $0.master == bridge }) else { continue }
                    if on.index == 0 {
                        onSwitch.append("link set \(LinuxNames.port(appKey: key, index: 0)) nomaster")
                        mine = mine.map { $0.index == 0 ? PlannedPort(index: 0, master: nil) : $0 }
                    } else {
                        add("link del \(LinuxNames.interface(on.index))")
                        mine.removeAll { $0.index == on.index }
                    }
                }
                ports[key] = mine
            }
            for namespace in namespaceOrder { try kernel.batch(in: namespace, inside[namespace] ?? [], force: true) }
            try kernel.batch(in: names.sandboxSwitch, onSwitch, force: true)
            let after = try kernel.links(in: names.sandboxSwitch) ?? []
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
                    return VLANResult(actionId: change.actionId, success: true,
                                      updatedInterface: LinuxNames.mac(vmName: change.app.vmName, interface: LinuxNames.interface(index)))
                case .removeVlan:
                    return on == nil ? VLANResult(actionId: change.actionId, success: true)
                        : VLANResult(actionId: change.actionId, success: false, errorMessage: "the kernel still has VM \(quoted(change.app.vmName)) in bridge \(bridge)")
                }
            }
            try Self.sweep(kernel, names)
            return results
        }
    }
}
