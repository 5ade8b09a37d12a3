import FirmBase
import FirmModel

/// The simulated cloud's networking: VLAN membership per VM interface (L2), and a cloud
/// network with subnets and keys per sandbox (L3).
extension SimulatedCloud {
    /// Where a new VM goes: on L2 an address from the provider's CIDR; on L3 an address from
    /// its first subnet (a public one also gets a public address), or from the cloud network
    /// outside every subnet. An L3 deploy needs the sandbox's infrastructure and its subnets.
    func placement(_ request: DeployRequest, _ world: SimulatedWorldFile.Transaction) throws -> (String, String) {
        let fail = { (message: String) in ProviderError(provider: name, operation: "deploy", message: message) }
        guard connectivity == .l3 else {
            guard let ip = world.freeAddress(in: settings.cidr) else { throw fail("no free address left in \(settings.cidr)") }
            return (ip, "")
        }
        guard let infra = world.infra(request.sandbox) else {
            throw fail("the sandbox infrastructure of \(quoted(request.sandbox)) is not prepared; PrepareSandboxInfra must come first")
        }
        for s in request.subnets where infra.subnets[s.subnetId] == nil {
            throw fail("subnet \(s.subnetId) (network \(quoted(s.network))) is not prepared")
        }
        if let first = request.subnets.first, let subnet = infra.subnets[first.subnetId], let cidr = CIDR(subnet.cidr) {
            guard let ip = world.freeAddress(in: cidr) else { throw fail("no free address left in subnet \(cidr)") }
            let publicIp = subnet.isPublic ? world.freeAddress(in: Self.publicRange) ?? "" : ""
            return (ip, publicIp)
        }
        let cloud = CIDR(infra.cidr) ?? settings.cidr
        guard let ip = world.freeAddress(in: cloud, excluding: infra.subnets.values.compactMap { CIDR($0.cidr) }) else {
            throw fail("no free address left on the default subnet of \(cloud)")
        }
        return (ip, "")
    }

    /// Public addresses come from TEST-NET-3 (RFC 5737), which routes nowhere.
    static let publicRange = CIDR("203.0.113.0/24")!

    public func applyConnectivityChanges(_ changes: [VLANChange]) async throws -> [VLANResult] {
        // A listed app fails its own change only; "*" fails the whole call.
        try await enter(.applyConnectivityChanges, apps: [])
        let failing = settings.failures[.applyConnectivityChanges] ?? []
        return try await transact("applyConnectivityChanges") { world in
            changes.map { change in
                if failing.contains(change.app.appName) {
                    return VLANResult(actionId: change.actionId, success: false, errorMessage: "injected failure for app \(quoted(change.app.appName))")
                }
                guard var vm = world.vm(uuid: change.app.vmUuid) else {
                    if change.kind == .removeVlan { return VLANResult(actionId: change.actionId, success: true) }
                    return VLANResult(actionId: change.actionId, success: false, errorMessage: "VM \(quoted(change.app.vmName)) does not exist")
                }
                switch change.kind {
                case .setVlan:
                    let interface = change.mode == .trunk ? vm.mac : Self.mac(for: "\(vm.vmName)/vlan\(change.vlan)")
                    if vm.vlans[change.vlan] != interface {
                        vm.vlans[change.vlan] = interface
                        world.put(vm)
                    }
                    return VLANResult(actionId: change.actionId, success: true, updatedInterface: interface)
                case .removeVlan:
                    if vm.vlans.removeValue(forKey: change.vlan) != nil { world.put(vm) }
                    return VLANResult(actionId: change.actionId, success: true)
                }
            }
        }
    }

    public func prepareSandboxInfra(_ request: InfraRequest) async throws -> InfraResult {
        try await enter(.prepareSandboxInfra, apps: [])
        let providerName = name
        let defaultCIDR = settings.cidr
        return try await transact("prepareSandboxInfra") { world in
            let fail = { (message: String) in ProviderError(provider: providerName, operation: "prepareSandboxInfra", message: message) }
            var infra = world.infra(request.sandbox)
                ?? SimulatedInfra(sandbox: request.sandbox, networkId: "net-" + UUIDText.hex(12), cidr: request.cloudCIDR ?? defaultCIDR.description)
            guard let cloud = CIDR(infra.cidr) else { throw fail("the cloud network has no valid CIDR") }
            var ids: [String: String] = [:]
            for subnet in request.subnets {
                guard let cidr = CIDR(subnet.cidr), cloud.contains(cidr) else { throw fail("subnet \(subnet.cidr) is outside the cloud network \(cloud)") }
                if let (id, existing) = infra.subnets.first(where: { $0.value.name == subnet.name }) {
                    if existing.cidr == subnet.cidr {
                        ids[subnet.name] = id
                        continue
                    }
                    if world.vms.values.contains(where: { $0.subnets.contains(id) }) {
                        throw fail("subnet \(quoted(subnet.name)) still has VMs on \(existing.cidr)")
                    }
                    infra.subnets[id] = nil
                }
                if let clash = infra.subnets.values.first(where: { CIDR($0.cidr)?.overlaps(cidr) == true }) {
                    throw fail("subnet \(cidr) overlaps subnet \(quoted(clash.name)) (\(clash.cidr))")
                }
                let id = "subnet-" + UUIDText.hex(12)
                infra.subnets[id] = SimulatedInfra.Subnet(name: subnet.name, cidr: subnet.cidr, isPublic: subnet.isPublic)
                ids[subnet.name] = id
            }
            if request.createKeys && infra.keys.isEmpty { infra.keys = "ssh-ed25519 " + UUIDText.hex(64) + " firmament-sim" }
            world.putInfra(infra)
            return InfraResult(networkId: infra.networkId, subnetIds: ids, keys: request.createKeys ? infra.keys : nil)
        }
    }

    public func cleanSandboxInfra(_ request: InfraCleanup) async throws {
        try await enter(.cleanSandboxInfra, apps: [])
        let providerName = name
        try await transact("cleanSandboxInfra") { world in
            guard var infra = world.infra(request.sandbox) else { return }
            let fail = { (message: String) in ProviderError(provider: providerName, operation: "cleanSandboxInfra", message: message) }
            let vms = world.vms(sandbox: request.sandbox)
            if request.all {
                if let vm = vms.first { throw fail("VM \(quoted(vm.vmName)) still uses the sandbox infrastructure (DependencyViolation)") }
                world.deleteInfra(request.sandbox)
                return
            }
            for id in request.subnetIds {
                if let vm = vms.first(where: { $0.subnets.contains(id) }) { throw fail("VM \(quoted(vm.vmName)) is still on subnet \(id) (DependencyViolation)") }
                infra.subnets[id] = nil
            }
            world.putInfra(infra)
        }
    }

    /// The sandbox infrastructure as the simulated cloud holds it.
    public func infra(sandbox: String) async throws -> SimulatedInfra? {
        try await transact("list") { world in world.infra(sandbox) }
    }
}
