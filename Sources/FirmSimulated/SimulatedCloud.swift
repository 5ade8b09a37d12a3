import Synchronization
import FirmBase
import FirmModel

/// The embedded simulated cloud (`"type": "simulated"`): VMs with power states and IPs from a
/// CIDR, kept on disk so that several `firm` processes, and `firm sim`, see one world. Each
/// operation can be given a latency and made to fail for chosen apps.
public struct SimulatedCloud: L2Connectivity, L3Infrastructure {
    public let name: String
    public let settings: SimulatedSettings
    public let connectivity: Connectivity
    let world: SimulatedWorldFile

    /// Opens provider `name`'s world under `settings.dataDir`, resolved against `baseDirectory`.
    public init(name: String, settings: SimulatedSettings, connectivity: Connectivity = .l2, baseDirectory: String) throws(ProviderError) {
        self.name = name
        self.settings = settings
        self.connectivity = connectivity
        let dir = settings.dataDir.hasPrefix("/") ? settings.dataDir : baseDirectory + "/" + settings.dataDir
        world = SimulatedWorldFile.shared(dataDir: dir, provider: name)
    }

    /// The calls of `flaky` settings made so far in this process: provider, operation and app.
    static let firstCalls = Mutex<Set<String>>([])

    /// Waits for the operation's latency, then fails if the settings say so for any of `apps`,
    /// or for every call.
    func enter(_ operation: ProviderOperation, apps: [String]) async throws {
        var generator = RandomPool.Generator()
        if let latency = settings.latency[operation] {
            let delay = latency.sample(using: &generator)
            if delay > .zero { try await Task.sleep(for: delay) }
        }
        try Task.checkCancellation()
        if settings.throttle > 0, Double.random(in: 0..<1, using: &generator) < settings.throttle {
            throw ProviderError(provider: name, operation: operation.rawValue, message: "throttled (simulated: throttle \(settings.throttle))",
                                kind: .retryable, code: "Throttling")
        }
        if let flaky = settings.flaky[operation], let app = apps.first(where: { flaky.contains($0) || flaky.contains(SimulatedSettings.everyCall) }),
           Self.firstCalls.withLock({ $0.insert("\(name)\u{0}\(operation.rawValue)\u{0}\(app)").inserted }) {
            throw ProviderError(provider: name, operation: operation.rawValue, message: "throttled (simulated: flaky \(quoted(app)), first call)",
                                kind: .retryable, code: "Throttling")
        }
        guard let failing = settings.failures[operation] else { return }
        if failing.contains(SimulatedSettings.everyCall) {
            throw ProviderError(provider: name, operation: operation.rawValue, message: "injected failure for every call", code: "InjectedFailure")
        }
        if let app = apps.first(where: failing.contains) {
            throw ProviderError(provider: name, operation: operation.rawValue, message: "injected failure for app \(quoted(app))", code: "InjectedFailure")
        }
    }

    func transact<T: Sendable>(_ operation: String, _ body: @escaping @Sendable (inout SimulatedWorldFile.Transaction) throws -> T) async throws -> T {
        do {
            return try await world.transact(body)
        } catch let error as ProviderError {
            throw error
        } catch {
            throw ProviderError(provider: name, operation: operation, message: "\(error)")
        }
    }

    /// Starts reading the world's log on the world's own queue while the caller reads its state.
    public func prefetch() { world.readAhead() }

    /// Its settings' catalog, with the images saved in its world (`saveApp`). Checking apps (a
    /// plan, `validate --online`) reads the world only for an `Image` the settings' catalog
    /// lacks, which only a saved image can be.
    public func catalog(_ query: CatalogQuery) async throws -> ProviderCatalog? {
        var catalog = settings.catalog
        let asked = query.deployments.values.compactMap { $0["Image"] }
        guard query.whole || asked.contains(where: { image in !catalog.images.contains { $0.id == image || $0.name == image } }) else { return catalog }
        catalog.images += try await allImages().map(\.catalogImage)
        return catalog
    }

    public func validate() async throws {
        _ = try await transact("validate") { _ in () }
    }

    /// Creates the VM at once in state `pending`, waits for the deploy latency, then leaves it
    /// `stopped`; an injected failure rolls the VM back, as CloudShell drivers do. A process
    /// killed during the wait leaves a pending VM behind, which `findByName` finds. When deploys
    /// have no latency, throttling or injected failure, nothing can happen between the two
    /// steps, and the VM is made `stopped` in one transaction.
    public func deploy(_ request: DeployRequest) async throws -> DeployAppResult {
        let providerName = name
        try await checkCatalog(request)
        let instant = settings.isInstant(.deploy)
        if instant { try Task.checkCancellation() }
        let made = try await transact("deploy") { world -> SimulatedVM in
            if world.vm(name: request.vmName) != nil {
                throw ProviderError(provider: providerName, operation: "deploy", message: "a VM named \(quoted(request.vmName)) already exists")
            }
            let (ip, publicIp) = try placement(request, world)
            var vm = SimulatedVM(vmName: request.vmName, vmUuid: UUIDText.random(), app: request.appName, sandbox: request.sandbox,
                                 deploymentType: request.deploymentType, status: instant ? .stopped : .pending, ip: ip, publicIp: publicIp,
                                 mac: Self.mac(for: request.vmName))
            vm.subnets = request.subnets.map(\.subnetId)
            vm.image = request.deploymentAttributes["Image"] ?? ""
            world.put(vm)
            return vm
        }
        let vm = instant ? made : try await settle(request)
        return DeployAppResult(
            vmName: vm.vmName, vmUuid: vm.vmUuid, deployedAppAddress: vm.ip,
            deployedAppAttributes: ["User": request.appAttributes["User"] ?? "admin"],
            deployedAppAdditionalData: ["createdBy": "firmament-simulated"],
            vmDetailsData: Self.details(vm),
            subnetInterfaces: Dictionary(uniqueKeysWithValues: request.subnets.enumerated().map { ($1.subnetId, "eth\($0)") }))
    }

    /// A pending VM's second step: the deploy's latency and failures, then `stopped`.
    private func settle(_ request: DeployRequest) async throws -> SimulatedVM {
        let providerName = name
        do {
            try await enter(.deploy, apps: [request.appName])
        } catch {
            _ = try? await transact("deploy") { world in world.delete(request.vmName) }
            throw error
        }
        return try await transact("deploy") { world -> SimulatedVM in
            guard var vm = world.vm(name: request.vmName) else {
                throw ProviderError(provider: providerName, operation: "deploy", message: "VM \(quoted(request.vmName)) vanished during its deploy")
            }
            if vm.status == .pending {
                vm.status = .stopped
                world.put(vm)
            }
            return vm
        }
    }

    public func powerOn(_ app: DeployedApp) async throws {
        try await setStatus(.running, app, operation: .powerOn)
    }

    public func powerOff(_ app: DeployedApp) async throws {
        try await setStatus(.stopped, app, operation: .powerOff)
    }

    func setStatus(_ status: SimulatedVM.Status, _ app: DeployedApp, operation op: ProviderOperation) async throws {
        let operation = op.rawValue
        try await enter(op, apps: [app.appName])
        let providerName = name
        try await transact(operation) { world in
            guard var vm = world.vm(uuid: app.vmUuid) else {
                throw ProviderError(provider: providerName, operation: operation, message: "VM \(quoted(app.vmName)) (\(app.vmUuid)) does not exist")
            }
            if vm.status != status {
                vm.status = status
                world.put(vm)
            }
        }
    }

    public func refreshIP(_ app: DeployedApp) async throws -> Addresses {
        try await enter(.refreshIP, apps: [app.appName])
        let providerName = name
        return try await transact("refreshIP") { world in
            guard let vm = world.vm(uuid: app.vmUuid) else {
                throw ProviderError(provider: providerName, operation: "refreshIP", message: "VM \(quoted(app.vmName)) does not exist")
            }
            guard vm.status == .running else {
                throw ProviderError(provider: providerName, operation: "refreshIP", message: "VM \(quoted(app.vmName)) is not powered on")
            }
            return Addresses(privateAddress: vm.ip, publicAddress: vm.publicIp)
        }
    }

    public func delete(_ app: DeployedApp) async throws {
        try await enter(.delete, apps: [app.appName])
        try await transact("delete") { world in
            if let vm = world.vm(uuid: app.vmUuid) ?? world.vm(name: app.vmName) { world.delete(vm.vmName) }
        }
    }

    public func findByName(_ vmName: String) async throws -> Observation? {
        // Firmament names VMs `<app>__<hex>`, so the app is known from the name.
        try await enter(.findByName, apps: [vmName.components(separatedBy: "__").first ?? vmName])
        return try await transact("findByName") { world in world.vm(name: vmName)?.observation }
    }

    public func observe(_ apps: [DeployedApp]) async throws -> [Observation] {
        try await enter(.observe, apps: apps.map(\.appName))
        return try await transact("observe") { world in
            apps.map { app in
                world.vm(uuid: app.vmUuid)?.observation
                    ?? Observation(vmName: app.vmName, vmUuid: app.vmUuid, exists: false, power: nil, addresses: Addresses(privateAddress: ""), appName: app.appName)
            }
        }
    }

    public func inventory(sandbox: String) async throws -> [Observation] {
        try await enter(.inventory, apps: [])
        return try await transact("inventory") { world in
            world.vms(sandbox: sandbox).sorted { $0.vmName < $1.vmName }.map(\.observation)
        }
    }

    /// Every VM in this provider's world.
    public func allVMs() async throws -> [SimulatedVM] {
        try await transact("list") { world in world.vms.values.sorted { $0.vmName < $1.vmName } }
    }

    /// Changes the world out of band, as `firm sim` does.
    public func mutate(_ operation: String, vmName: String, _ change: @escaping @Sendable (inout SimulatedVM) -> Bool) async throws {
        let providerName = name
        try await transact(operation) { world in
            guard var vm = world.vm(name: vmName) else {
                throw ProviderError(provider: providerName, operation: operation, message: "no VM named \(quoted(vmName))")
            }
            if change(&vm) { world.put(vm) } else { world.delete(vm.vmName) }
        }
    }

    /// A MAC address made from `vmName`: "02" (locally administered, unicast) and five bytes of
    /// the name's 64-bit FNV-1a hash. The same name always gets the same address; a cheap hash
    /// serves, as nothing is secret and one is made for every deploy.
    static func mac(for vmName: String) -> String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in vmName.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        var out: [UInt8] = [UInt8(ascii: "0"), UInt8(ascii: "2")]
        out.reserveCapacity(17)
        for i in 0..<5 {
            out.append(UInt8(ascii: ":"))
            Hex.append(UInt8(truncatingIfNeeded: hash >> (8 * i)), to: &out)
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func details(_ vm: SimulatedVM) -> JSON {
        [
            "vmInstanceData": [["key": "Deployment Type", "value": .string(vm.deploymentType), "hidden": false],
                               ["key": "Status", "value": .string(vm.status.rawValue), "hidden": false]],
            "vmNetworkData": [["interfaceId": "0", "networkId": "default", "isPrimary": true, "isPredefined": false,
                               "networkData": [["key": "MAC Address", "value": .string(vm.mac), "hidden": false]],
                               "privateIpAddress": .string(vm.ip), "publicIpAddress": .string(vm.publicIp)]],
            "appName": .string(vm.app), "errorMessage": "",
        ]
    }
}
