import FirmBase

/// The driver SPI, after CloudShell's cloud provider interface, in three roles: the VM
/// lifecycle (every provider), L2 connectivity and L3 infrastructure (a provider implements
/// the one its connectivity needs). Every call may be cancelled through Swift task
/// cancellation, which drivers see as CloudShell's cancellation context.
public protocol CloudProvider: Sendable {
    /// The provider's name in the blueprint.
    var name: String { get }
    /// CloudShell's get_inventory: checks settings and credentials.
    func validate() async throws
    /// Creates the VM, named `request.vmName`, and returns CloudShell's DeployAppResult.
    func deploy(_ request: DeployRequest) async throws -> DeployAppResult
    func powerOn(_ app: DeployedApp) async throws
    func powerOff(_ app: DeployedApp) async throws
    /// CloudShell's remote_refresh_ip: the VM's current private and public address.
    func refreshIP(_ app: DeployedApp) async throws -> Addresses
    /// Powers off if needed, then deletes. A VM that is already gone is not an error.
    func delete(_ app: DeployedApp) async throws
    /// The VM with this unique name, if it exists: how an interrupted deploy is recovered.
    func findByName(_ vmName: String) async throws -> Observation?
    /// What is real right now for each app, in one batch: GetVmDetails plus power state.
    func observe(_ apps: [DeployedApp]) async throws -> [Observation]
    /// Every VM the provider has that is tagged with this sandbox (blueprint) name: how VMs
    /// that the state does not know are found.
    func inventory(sandbox: String) async throws -> [Observation]
    /// Releases what the driver holds (a process driver's child process). Later calls may start it again.
    func shutdown() async
    /// Its retries, concurrency and request rate, as its blueprint entry and type set them.
    var limits: ProviderLimits { get }
    /// A hint that a refresh is coming: a provider may start reading what it will need, without
    /// waiting and without changing anything. Errors are left for the calls that follow.
    func prefetch()
    /// What it can do beyond CloudShell's interface; a process driver is started to ask.
    func capabilities() async throws -> ProviderCapabilities
    /// The VM that a launch of several at once made in `slot`, if it exists, given the name and
    /// app it was launched for (a provider that launches one at a time has none).
    func findLaunched(_ slot: LaunchSlot, app: String, vmName: String) async throws -> Observation?
    /// What it offers (docs/catalog.md): hardware profiles, images and realms, with the images
    /// `query` names looked up; nil when it has no catalog.
    func catalog(_ query: CatalogQuery) async throws -> ProviderCatalog?
    /// CloudShell's SaveApp: saves the app, waiting until what it made can be deployed from.
    func saveApp(_ request: SaveAppRequest) async throws -> SaveAppResult
    /// What a SaveApp for this sandbox and snapshot made, found by its tags, if anything: how a
    /// save that was interrupted is settled without making a second one.
    func findSavedApp(snapshot: String, sandbox: String) async throws -> SaveAppResult?
    /// CloudShell's DeleteSavedApp.
    func deleteSavedApp(_ request: DeleteSavedAppRequest) async throws
}

extension CloudProvider {
    public func shutdown() async {}
    public func prefetch() {}
    public var limits: ProviderLimits { ProviderLimits() }
    public func capabilities() async throws -> ProviderCapabilities { .full }
    public func findLaunched(_ slot: LaunchSlot, app: String, vmName: String) async throws -> Observation? { nil }
    /// No catalog: apps are not checked before their deploys.
    public func catalog(_ query: CatalogQuery) async throws -> ProviderCatalog? { nil }
    /// No snapshots: each call refuses.
    public func saveApp(_ request: SaveAppRequest) async throws -> SaveAppResult { throw noSnapshots("saveApp") }
    public func findSavedApp(snapshot: String, sandbox: String) async throws -> SaveAppResult? { throw noSnapshots("findSavedApp") }
    public func deleteSavedApp(_ request: DeleteSavedAppRequest) async throws { throw noSnapshots("deleteSavedApp") }

    /// The provider in its L2 role, or a terminal failure naming what it lacks.
    public func l2() throws -> any L2Connectivity {
        if let role = self as? any L2Connectivity { return role }
        throw ProviderError(provider: name, operation: "applyConnectivityChanges", message: "this provider has no L2 connectivity (VLANs)")
    }

    /// The provider in its L3 role, or a terminal failure naming what it lacks.
    public func l3() throws -> any L3Infrastructure {
        if let role = self as? any L3Infrastructure { return role }
        throw ProviderError(provider: name, operation: "prepareSandboxInfra", message: "this provider has no L3 infrastructure (subnets)")
    }
}

/// The L2 role: VLANs set with CloudShell's ApplyConnectivityChanges.
public protocol L2Connectivity: CloudProvider {
    /// One batch of setVlan and removeVlan actions; each result echoes its actionId. removeVlan
    /// of a VLAN the VM is not on succeeds.
    func applyConnectivityChanges(_ changes: [VLANChange]) async throws -> [VLANResult]
}

/// The L3 role: the sandbox's cloud network, subnets and keys.
public protocol L3Infrastructure: CloudProvider {
    /// Prepares the sandbox's cloud network, subnets and keys; get-or-create.
    func prepareSandboxInfra(_ request: InfraRequest) async throws -> InfraResult
    /// Removes subnets, or the whole sandbox infrastructure. What is already gone is not an error.
    func cleanSandboxInfra(_ request: InfraCleanup) async throws
}

/// What a deploy asks for. Secrets are resolved here and go no further than the driver.
public struct DeployRequest: Sendable {
    public var actionId: String
    /// The app's name in the blueprint.
    public var appName: String
    /// The unique VM name, chosen (and recorded) before the call.
    public var vmName: String
    /// The blueprint's name, which drivers tag VMs with.
    public var sandbox: String
    public var deploymentType: String
    public var deploymentAttributes: [String: String]
    public var appAttributes: [String: String]
    /// L3: the subnets to connect the VM to (connectSubnet actions); empty means the default subnet.
    public var subnets: [SubnetConnection]
    /// The power the blueprint wants, for a cloud whose VMs start running when made (EC2): it
    /// may leave the VM so, and say so in the result's `power`. Others leave it off.
    public var desiredPower: Power = .off
    /// Records the VM's launch slot in the deploy's intent, durably, before a launch that makes
    /// several VMs at once (see `LaunchSlot`); nil where nothing recorded an intent.
    public var launchRecorder: LaunchRecorder?

    public init(actionId: String, appName: String, vmName: String, sandbox: String, deploymentType: String,
                deploymentAttributes: [String: String], appAttributes: [String: String], subnets: [SubnetConnection] = []) {
        self.subnets = subnets
        self.actionId = actionId
        self.appName = appName
        self.vmName = vmName
        self.sandbox = sandbox
        self.deploymentType = deploymentType
        self.deploymentAttributes = deploymentAttributes
        self.appAttributes = appAttributes
    }
}

/// CloudShell's DeployAppResult.
public struct DeployAppResult: Sendable, Equatable {
    public var vmName: String
    public var vmUuid: String
    public var deployedAppAddress: String
    public var deployedAppAttributes: [String: String]
    /// Any JSON values, as cp-core types it (a dict): shells put strings, booleans and numbers in it.
    public var deployedAppAdditionalData: [String: JSON]
    public var vmDetailsData: JSON
    /// L3: subnet id -> the interface of its ConnectToSubnet result.
    public var subnetInterfaces: [String: String]
    /// The VM's power after the deploy, when the provider says (nil: off, as CloudShell's
    /// contract has it).
    public var power: Power?

    public init(vmName: String, vmUuid: String, deployedAppAddress: String, deployedAppAttributes: [String: String] = [:],
                deployedAppAdditionalData: [String: JSON] = [:], vmDetailsData: JSON = .null, subnetInterfaces: [String: String] = [:]) {
        self.subnetInterfaces = subnetInterfaces
        self.vmName = vmName
        self.vmUuid = vmUuid
        self.deployedAppAddress = deployedAppAddress
        self.deployedAppAttributes = deployedAppAttributes
        self.deployedAppAdditionalData = deployedAppAdditionalData
        self.vmDetailsData = vmDetailsData
    }
}

/// A deployed app as later calls see it: what CloudShell puts in deployed_app_json and
/// app_request_json.
public struct DeployedApp: Sendable, Equatable {
    public var appName: String
    public var vmName: String
    public var vmUuid: String
    public var address: String
    public var publicAddress: String
    /// The deployment path it was deployed from, with its attributes (secrets resolved, when
    /// the call needs them).
    public var deploymentType: String
    public var deploymentAttributes: [String: String]
    /// The app resource's attributes: the blueprint's, overridden by the deployedAppAttributes
    /// the driver returned (a generated password).
    public var attributes: [String: String]
    /// deployedAppAdditionalData, as the driver returned it (CloudShell's vmCustomParams).
    public var additionalData: [String: JSON]

    public init(appName: String, vmName: String, vmUuid: String, address: String = "", publicAddress: String = "",
                deploymentType: String = "", deploymentAttributes: [String: String] = [:], attributes: [String: String] = [:],
                additionalData: [String: JSON] = [:]) {
        self.appName = appName
        self.vmName = vmName
        self.vmUuid = vmUuid
        self.address = address
        self.publicAddress = publicAddress
        self.deploymentType = deploymentType
        self.deploymentAttributes = deploymentAttributes
        self.attributes = attributes
        self.additionalData = additionalData
    }
}

/// A VM's private and public address.
public struct Addresses: Sendable, Equatable {
    public var privateAddress: String
    public var publicAddress: String

    public init(privateAddress: String, publicAddress: String = "") {
        self.privateAddress = privateAddress
        self.publicAddress = publicAddress
    }
}

/// What a provider reports as real for one VM.
public struct Observation: Sendable, Equatable {
    public var vmName: String
    public var vmUuid: String
    public var exists: Bool
    public var power: Power?
    public var addresses: Addresses
    public var appName: String
    public var sandbox: String
    /// L2: the VLAN ids the VM's interfaces are members of; nil when the driver does not say
    /// (then connectivity drift is not looked for).
    public var vlans: [Int]?
    /// L3: the subnets the VM is on; nil when the driver does not say.
    public var subnetIds: [String]?

    public init(vmName: String, vmUuid: String, exists: Bool, power: Power?, addresses: Addresses, appName: String = "", sandbox: String = "",
                vlans: [Int]? = [], subnetIds: [String]? = []) {
        self.vlans = vlans
        self.subnetIds = subnetIds
        self.vmName = vmName
        self.vmUuid = vmUuid
        self.exists = exists
        self.power = power
        self.addresses = addresses
        self.appName = appName
        self.sandbox = sandbox
    }
}
