import Foundation
import FirmBase
import FirmModel

/// The built-in `linux` provider: each app is a network namespace on this machine. At L2 it
/// has one veth per VLAN it is on, whose other end sits in the sandbox's switch namespace, in
/// the bridge of that VLAN (the kernel has no VLAN filtering, so each VLAN is a bridge of its
/// own); at L3, one per subnet, in the subnet's bridge in the sandbox's router
/// (`LinuxProvider+L3`). What it observes it reads from the kernel; names tie what it finds to
/// the sandbox and the app.
public struct LinuxProvider: L2Connectivity {
    public let name: String
    /// L2: VLANs as bridges (`LinuxProvider+L2`); L3: a router with a bridge per subnet
    /// (`LinuxProvider+L3`).
    let connectivity: Connectivity
    let settings: LinuxSettings
    let names: LinuxNames
    /// Where each service's pid and output are kept.
    let folder: String
    /// Resolved lazily so that a machine without `ip` fails in `validate` with a clear message.
    let ipPath: String?
    /// Every change to the switch namespace (ports, bridges, the switch itself) runs here, one
    /// at a time, so that removing an empty bridge never races a port joining it.
    let switchQueue: DispatchQueue
    /// The addresses of the sandbox's apps, read from the kernel once and kept up to date on
    /// the switch queue, where every change of an address or namespace runs.
    let addressBook = LinuxAddressBook()
    /// Receives a line for each child process (`--verbose`), or nil.
    let log: (@Sendable (String) -> Void)?
    /// L2 deploys, and deletes, made in batches.
    let deploys: LinuxBatcher<LinuxDeployJob>
    let deletes: LinuxBatcher<String>
    public init(name: String, sandbox: String, settings: LinuxSettings, baseDirectory: String, connectivity: Connectivity = .l2,
                log: (@Sendable (String) -> Void)? = nil) {
        self.name = name
        self.log = log.map { log in { @Sendable line in log("[\(name)] " + line) } }
        self.connectivity = connectivity
        self.settings = settings
        names = LinuxNames(prefix: settings.prefix, sandbox: sandbox)
        folder = baseDirectory + "/.firm/linux/" + name
        ipPath = LinuxKernel.locate()
        switchQueue = DispatchQueue(label: "firm.linux.switch." + name)
        let names = self.names, book = addressBook, sweep = connectivity == .l2
        deploys = LinuxBatcher(provider: name, operation: "deploy", ip: ipPath, queue: switchQueue, log: self.log) { kernel, jobs in
            try LinuxDeploys.make(kernel, jobs, names: names, book: book)
        }
        // An L3 router stays until CleanSandboxInfra.
        deletes = LinuxBatcher(provider: name, operation: "delete", ip: ipPath, queue: switchQueue, log: self.log) { kernel, namespaces in
            try LinuxDeletes.remove(kernel, namespaces, names: names, book: book, sweep: sweep)
        }
    }

    static func missingIP(provider: String, operation: String) -> ProviderError {
        ProviderError(provider: provider, operation: operation, message: "iproute2's `ip` was not found in /usr/sbin, /sbin, /usr/bin or /bin; install iproute2")
    }

    /// What failed in kernel work, as a `ProviderError` of `operation`: a namespace or device
    /// that vanished under a concurrent change is worth another try.
    static func providerError(_ failure: any Error, provider: String, operation: String) -> ProviderError {
        switch failure {
        case let failure as ProviderError:
            return failure
        case let failure as KernelError:
            let vanished = failure.description.contains("Cannot open network namespace") || failure.description.contains("Cannot find device")
            return ProviderError(provider: provider, operation: operation, message: failure.description, kind: vanished ? .retryable : .terminal)
        default:
            return ProviderError(provider: provider, operation: operation, message: "\(failure)")
        }
    }

    /// Deploys and deletes that arrive together, and connect batches, are made as one batch on
    /// the switch queue; 64 at once lets a batch carry 64.
    public var limits: ProviderLimits { Self.defaultLimits }
    static let defaultLimits = ProviderLimits(retries: 3, concurrency: 64)

    func error(_ operation: String, _ message: String, kind: FailureKind = .terminal) -> ProviderError {
        ProviderError(provider: name, operation: operation, message: message, kind: kind)
    }

    /// Runs blocking kernel work off the cooperative pool (on the switch queue when it changes
    /// the switch), turning what fails into a `ProviderError` of `operation`.
    func kernel<T: Sendable>(_ operation: String, onSwitch: Bool = false,
                             _ work: @escaping @Sendable (LinuxKernel) throws -> T) async throws -> T {
        guard let ip = ipPath else { throw Self.missingIP(provider: name, operation: operation) }
        let queue = onSwitch ? switchQueue : DispatchQueue(label: "firm.linux.kernel")
        let log = self.log
        do {
            return try await queue.perform { try work(LinuxKernel(ip: ip, log: log)) }
        } catch {
            throw Self.providerError(error, provider: name, operation: operation)
        }
    }

    public func validate() async throws {
        guard LinuxKernel.hasNetAdmin() else {
            throw error("validate", "firm lacks CAP_NET_ADMIN, which network namespaces, veths and bridges need; run it as root or grant the capability (nothing was made)")
        }
        // An L3 router without apps is the sandbox's infrastructure, kept until CleanSandboxInfra.
        guard connectivity == .l2 else { return }
        let names = self.names
        try await kernel("validate", onSwitch: true) { try Self.removeIdleSwitch($0, names) }
    }

    /// No collections (apps are namespaces, not made from images or profiles); the capabilities
    /// say how VLANs and addresses are made, with the VLAN model probed from the kernel. Only
    /// `firm catalog` (the whole catalog) probes: checking apps needs nothing of it.
    public func catalog(_ query: CatalogQuery) async throws -> ProviderCatalog? {
        guard query.whole else { return nil }
        var catalog = ProviderCatalog(listed: [], attributes: CatalogAttributes(hardwareProfile: nil, image: nil, realm: nil, cpu: nil, memoryMiB: nil, storageGiB: nil))
        if connectivity == .l3 {
            let nat = try await kernel("catalog") { kernel in try LinuxVLANModel.inProbeNamespace(kernel) { try LinuxNAT.probe(kernel, in: $0) } }
            catalog.capabilities["l3Model"] = "a router namespace per sandbox, forwarding between a bridge per subnet that holds its gateway; an uplink to the host on a /30 of 169.254.0.0/16"
            catalog.capabilities["nat"] = nat.capability
            catalog.capabilities["addresses"] = "each app an address of each subnet it is on, from its second host address; subnets within \(settings.cidr)"
        } else {
            let model = try await kernel("catalog") { try LinuxVLANModel.probe($0) }
            catalog.capabilities = model.capabilities
            let subnets = settings.subnets
            catalog.capabilities["addresses"] = "each VLAN a /\(subnets.prefix) of \(subnets.cidr) (\(subnets.count) subnets)"
        }
        catalog.capabilities["deploymentTypes"] = "netns, with the optional attribute Command (a shell command run in the namespace)"
        return catalog
    }

    /// Removes the sandbox's switch when no app namespace of the sandbox is left: what a destroy
    /// killed between its last app and the switch leaves behind. Ports may linger there for a
    /// moment after their apps' namespaces are gone (the kernel frees a namespace, and its
    /// veths, on a worker of its own), so they don't count.
    static func removeIdleSwitch(_ kernel: LinuxKernel, _ names: LinuxNames) throws {
        let namespaces = try kernel.namespaces()
        guard namespaces.contains(names.sandboxSwitch), !namespaces.contains(where: { names.appKey(ofNamespace: $0) != nil }) else { return }
        try kernel.run(["netns", "del", names.sandboxSwitch], tolerated: ["No such file"])
    }

    /// The app's namespace: the recorded uuid when it is one of this sandbox's, else from the name.
    func namespace(_ app: DeployedApp) -> String {
        names.appKey(ofNamespace: app.vmUuid) != nil ? app.vmUuid : names.namespace(vmName: app.vmName)
    }

    /// Makes the namespace, its first veth (eth0, with a stable MAC) and the port in the switch,
    /// labelled with the app and VM last, so that a namespace without its labelled port is known
    /// to be half made; with the other deploys that come at the same time (`LinuxDeploys`). eth0
    /// gets its address when it joins a VLAN (the VLAN's subnet).
    public func deploy(_ request: DeployRequest) async throws -> DeployAppResult {
        guard LinuxKernel.hasNetAdmin() else {
            throw error("deploy", "firm lacks CAP_NET_ADMIN, which network namespaces, veths and bridges need; run it as root or grant the capability")
        }
        if connectivity == .l3 { return try await deployL3(request) }
        let namespace = names.namespace(vmName: request.vmName)
        let port = LinuxNames.port(appKey: names.appKey(request.vmName), index: 0)
        let label = LinuxLabel(app: request.appName, vmName: request.vmName)
        guard label.text.utf8.count <= 255 else { throw error("deploy", "the VM name \(quoted(request.vmName)) is too long for the kernel's link alias (255 bytes)") }
        let sandboxSwitch = names.sandboxSwitch
        let mac = LinuxNames.mac(vmName: request.vmName, interface: LinuxNames.interface(0))
        try await deploys.submit(LinuxDeployJob(namespace: namespace, port: port, mac: mac, label: label))
        return DeployAppResult(vmName: request.vmName, vmUuid: namespace, deployedAppAddress: "",
                               deployedAppAdditionalData: ["namespace": .string(namespace), "switch": .string(sandboxSwitch)],
                               vmDetailsData: ["vmNetworkData": [["interfaceId": "eth0", "isPrimary": true, "privateIpAddress": "",
                                                                  "networkData": [["key": "MAC Address", "value": .string(mac), "hidden": false]]]],
                                               "appName": .string(request.appName), "errorMessage": ""])
    }

    /// Sets lo, the app's interfaces and their ports up (with `arp_notify` on), adds an L3 app's
    /// default route, and announces each address with gratuitous ARP once the ports forward;
    /// then starts the service. Three child processes and one more for each of the app's ports
    /// (more while a port is not yet forwarding, and one to raise a port set down), whatever
    /// the sandbox's size.
    public func powerOn(_ app: DeployedApp) async throws {
        let namespace = namespace(app)
        let key = names.appKey(app.vmName)
        let sandboxSwitch = names.sandboxSwitch
        let l3 = connectivity == .l3
        try await kernel("powerOn") { kernel in
            guard let links = try kernel.raise(namespace) else { throw KernelError.output("namespace \(namespace) of VM \(quoted(app.vmName)) does not exist") }
            // Each ethN with its index, as ports are numbered (0 to 99).
            let interfaces = links.compactMap { link -> (index: Int, link: KernelLink)? in
                guard link.name.hasPrefix("eth"), let index = Int(link.name.dropFirst(3)), (0...99).contains(index) else { return nil }
                return (index, link)
            }
            // Ports are up from their deploy or connect; one set down outside firm comes up again
            // (a port that is gone is left to the next refresh, which sees it).
            let ports = try interfaces.compactMap { try kernel.link(LinuxNames.port(appKey: key, index: $0.index), in: sandboxSwitch) }
            try kernel.batch(in: sandboxSwitch, ports.filter { !$0.isUp }.map { "link set \($0.name) up" }, force: true)
            var after: [String] = []
            // L3: the default route through eth0's subnet's gateway (its first host address),
            // which a link taken down loses.
            if l3, let eth0 = interfaces.first(where: { $0.index == 0 })?.link, let address = eth0.addresses.first.flatMap(IPv4Address.init),
               let length = eth0.prefixLengths.first, length <= 30 {
                let subnet = CIDR(network: address, prefix: length)
                after.append("route replace default via \(IPv4Address(address.value & subnet.mask + 1)) dev eth0")
            }
            // Gratuitous ARP for each address, once the app's ports forward: setting an
            // interface's MAC (to the one it has) makes the kernel announce it (arp_notify).
            // The announcement the kernel makes when the link comes up is lost: the bridge
            // learns of the port's carrier a moment later.
            let announced = interfaces.filter { !$0.link.addresses.isEmpty && $0.link.mac != nil }
            if !announced.isEmpty {
                let waiting = Set(announced.map { LinuxNames.port(appKey: key, index: $0.index) })
                try Self.waitUntilForwarding(kernel, sandboxSwitch, ports: ports.filter { waiting.contains($0.name) && $0.master != nil && $0.portState != "forwarding" }.map(\.name))
                after += announced.compactMap { eth in eth.link.mac.map { "link set \(eth.link.name) address \($0)" } }
            }
            try kernel.batch(in: namespace, after)
        }
        if let command = app.deploymentAttributes["Command"], !command.isEmpty {
            try await LinuxService(folder: folder, namespace: namespace).start(command, provider: self)
        }
    }

    /// Waits (at most half a second) until each of `ports`, read as not forwarding yet, forwards.
    static func waitUntilForwarding(_ kernel: LinuxKernel, _ sandboxSwitch: String, ports: [String]) throws {
        var waiting = ports
        let deadline = ContinuousClock.now + .milliseconds(500)
        while !waiting.isEmpty, ContinuousClock.now < deadline {
            usleep(2_000)
            waiting = try waiting.filter { port in
                guard let link = try kernel.link(port, in: sandboxSwitch), link.master != nil else { return false }
                return link.portState != nil && link.portState != "forwarding"
            }
        }
    }


    public func powerOff(_ app: DeployedApp) async throws {
        let namespace = namespace(app)
        try await kernel("powerOff") { kernel in
            kernel.killAll(in: namespace)
            guard let links = try kernel.links(in: namespace) else { throw KernelError.output("namespace \(namespace) of VM \(quoted(app.vmName)) does not exist") }
            try kernel.batch(in: namespace, links.map(\.name).filter { $0.hasPrefix("eth") }.map { "link set \($0) down" })
        }
    }

    /// The app's address, as the kernel has it (`primaryAddress`).
    public func refreshIP(_ app: DeployedApp) async throws -> Addresses {
        let namespace = namespace(app)
        let links = try await kernel("refreshIP") { try $0.insides([namespace], processes: false)[namespace]?.links }
        guard let links else { throw error("refreshIP", "namespace \(namespace) of VM \(quoted(app.vmName)) does not exist") }
        return Addresses(privateAddress: Self.primaryAddress(links))
    }

    /// An app's address: the first of its lowest-numbered interface that has one (eth0 unless
    /// eth0 is on no VLAN); none while it is on no VLAN.
    static func primaryAddress(_ links: [KernelLink]) -> String {
        links.compactMap { link -> (Int, String)? in
            guard link.name.hasPrefix("eth"), let index = Int(link.name.dropFirst(3)), let address = link.addresses.first else { return nil }
            return (index, address)
        }.min { $0.0 < $1.0 }?.1 ?? ""
    }

    /// Stops the service, removes the namespace (and so its veths), then the switch's bridges
    /// that no port uses, and the switch itself once the sandbox has no app left; with the
    /// other deletes that come at the same time (`LinuxDeletes`).
    public func delete(_ app: DeployedApp) async throws {
        let namespace = namespace(app)
        try await deletes.submit(namespace)
        LinuxService(folder: folder, namespace: namespace).forget()
    }

    /// Removes the switch's bridges without ports, and the switch once no app namespace of the
    /// sandbox is left. Runs on the switch queue. The namespaces it listed, when it listed them
    /// (nil when there is no switch).
    @discardableResult
    static func sweep(_ kernel: LinuxKernel, _ names: LinuxNames) throws -> [String]? {
        guard let links = try kernel.links(in: names.sandboxSwitch) else { return nil }
        let used = Set(links.compactMap(\.master))
        let empty = links.filter { names.vlan(ofBridge: $0.name) != nil && !used.contains($0.name) }
        try kernel.batch(in: names.sandboxSwitch, empty.map { "link del \($0.name)" }, force: true)
        let namespaces = try kernel.namespaces()
        if !namespaces.contains(where: { names.appKey(ofNamespace: $0) != nil }) {
            try kernel.run(["netns", "del", names.sandboxSwitch], tolerated: ["No such file"])
        }
        return namespaces
    }

    public func findByName(_ vmName: String) async throws -> Observation? {
        let namespace = names.namespace(vmName: vmName)
        let names = self.names
        let book = addressBook
        let found = try await kernel("findByName", onSwitch: true) { kernel -> Bool in
            guard try kernel.namespaces().contains(namespace) else { return false }
            let port = LinuxNames.port(appKey: names.appKey(vmName), index: 0)
            if try kernel.links(in: names.sandboxSwitch)?.contains(where: { $0.name == port && $0.alias.flatMap(LinuxLabel.init) != nil }) == true { return true }
            // Half made by a deploy that was interrupted: nothing refers to it yet.
            try kernel.deleteNamespace(namespace)
            book.remove(namespace)
            return false
        }
        guard found else { return nil }
        return try await look([(vmName, namespace, LinuxLabel.appName(ofVM: vmName))], operation: "findByName").first
    }

    public func observe(_ apps: [DeployedApp]) async throws -> [Observation] {
        try await look(apps.map { ($0.vmName, namespace($0), $0.appName) }, operation: "observe", commands: apps.map { $0.deploymentAttributes["Command"] ?? "" })
    }

    /// Every app namespace of the sandbox, with the app and VM its port's label names; one
    /// whose port is gone is reported under its namespace's name.
    public func inventory(sandbox: String) async throws -> [Observation] {
        let names = sandbox == self.names.sandbox ? self.names : LinuxNames(prefix: settings.prefix, sandbox: sandbox)
        let (namespaces, links) = try await kernel("inventory") { kernel in
            (try kernel.namespaces().filter { names.appKey(ofNamespace: $0) != nil }, try kernel.links(in: names.sandboxSwitch) ?? [])
        }
        var labels: [String: LinuxLabel] = [:]
        for link in links {
            guard let port = LinuxNames.parsePort(link.name), port.index == 0, let label = link.alias.flatMap(LinuxLabel.init) else { continue }
            labels[names.sandboxSwitch + "-" + port.key] = label
        }
        let targets = namespaces.sorted().map { ns in (labels[ns]?.vmName ?? ns, ns, labels[ns]?.app ?? "") }
        return try await look(targets, operation: "inventory", names: names).map { observation in
            var seen = observation
            seen.sandbox = sandbox
            return seen
        }
    }

    /// Reads what the kernel has for each (VM name, namespace, app): one query of the switch
    /// and one child process for every namespace's addresses and processes.
    func look(_ targets: [(vmName: String, namespace: String, app: String)], operation: String, commands: [String] = [],
              names: LinuxNames? = nil) async throws -> [Observation] {
        let names = names ?? self.names
        let (switchLinks, insides) = try await kernel(operation) { kernel in
            (try kernel.links(in: names.sandboxSwitch) ?? [], try kernel.insides(targets.map(\.namespace)))
        }
        let subnets = settings.subnets
        let subnetOf = Dictionary(switchLinks.compactMap { link in subnets.recorded(link.alias).map { (link.name, $0) } }, uniquingKeysWith: { a, _ in a })
        let routerSubnets = LinuxRouter(names: names).subnets(switchLinks)
        let l3 = connectivity == .l3
        return targets.enumerated().map { index, target in
            guard let inside = insides[target.namespace] else {
                return Observation(vmName: target.vmName, vmUuid: target.namespace, exists: false, power: nil, addresses: Addresses(privateAddress: ""),
                                   appName: target.app, sandbox: names.sandbox)
            }
            let key = names.appKey(ofNamespace: target.namespace) ?? ""
            let ports = switchLinks.filter { LinuxNames.parsePort($0.name)?.key == key }
            let eth0 = inside.links.first { $0.name == "eth0" }
            let port0 = ports.first { LinuxNames.parsePort($0.name)?.index == 0 }
            let wantsService = index < commands.count && !commands[index].isEmpty
            // At L3 an app with an address needs its default route (power on adds it, and a
            // power on killed before it would leave the app up without one).
            let routed = !l3 || eth0?.addresses.isEmpty != false || inside.hasDefaultRoute != false
            let on = eth0?.isUp == true && port0?.isUp == true && (!wantsService || !inside.pids.isEmpty) && routed
            // On a VLAN: the port is in its bridge, and the interface has an address in its subnet.
            let vlans = ports.compactMap { port -> Int? in
                guard let bridge = port.master, let vlan = names.vlan(ofBridge: bridge), let index = LinuxNames.parsePort(port.name)?.index,
                      let subnet = subnetOf[bridge] else { return nil }
                let addresses = inside.links.first { $0.name == LinuxNames.interface(index) }?.addresses ?? []
                return addresses.contains { IPv4Address($0).map(subnet.contains) == true } ? vlan : nil
            }.sorted()
            // On a subnet: the port is in the subnet's bridge, and the interface has an address in it.
            let subnetIds = ports.compactMap { port -> String? in
                guard let bridge = port.master, let subnet = routerSubnets[bridge], let index = LinuxNames.parsePort(port.name)?.index else { return nil }
                let addresses = inside.links.first { $0.name == LinuxNames.interface(index) }?.addresses ?? []
                return addresses.contains { IPv4Address($0).map(subnet.cidr.contains) == true } ? bridge : nil
            }.sorted()
            return Observation(vmName: target.vmName, vmUuid: target.namespace, exists: true, power: on ? .on : .off,
                               addresses: Addresses(privateAddress: Self.primaryAddress(inside.links)), appName: target.app, sandbox: names.sandbox,
                               vlans: l3 ? nil : vlans, subnetIds: l3 ? subnetIds : [])
        }
    }
}

/// The alias on an app's first port in the switch: `firm:APP:VM`, which ties the namespace to
/// its app and VM name (the sandbox is in the namespace's name).
struct LinuxLabel: Sendable, Equatable {
    var app: String
    var vmName: String

    init(app: String, vmName: String) {
        self.app = app
        self.vmName = vmName
    }

    init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "firm", Name.isValid(String(parts[1])), !parts[2].isEmpty, parts[2].utf8.count <= 200 else { return nil }
        app = String(parts[1])
        vmName = String(parts[2])
    }

    var text: String { "firm:\(app):\(vmName)" }

    /// Firmament names VMs `APP__SUFFIX`.
    static func appName(ofVM vmName: String) -> String { vmName.components(separatedBy: "__").first ?? vmName }
}
