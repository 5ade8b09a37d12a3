import Foundation
import FirmBase
import FirmModel

/// `"type": "ec2"`: Amazon EC2 (or moto, or LocalStack) over the EC2 Query API, an L3 provider
/// in CloudShell's AWS model. Each sandbox gets a VPC, subnets, an internet gateway for public
/// subnets, a security group and a key pair, all tagged with the sandbox and found again by
/// those tags. Apps are instances tagged Name = the VM name, with the sandbox and the app.
public struct EC2Provider: L3Infrastructure {
    public let name: String
    let sandbox: String
    let settings: EC2Settings
    let connection: EC2Connection
    /// The catalog's lists, read once (EC2Catalog).
    let catalogCache = EC2CatalogCache()
    /// How long an instance may take to reach the state asked for.
    static let stateTimeout: Duration = .seconds(900)

    public init(name: String, sandbox: String, settings: EC2Settings, environment: Environment, log: (@Sendable (String) -> Void)? = nil) {
        self.name = name
        self.sandbox = sandbox
        self.settings = settings
        connection = EC2Connection(provider: name, sandbox: sandbox, settings: settings, environment: environment, log: log)
    }

    func call(_ action: String, _ parameters: [(String, String)] = [], _ operation: String) async throws -> XMLTree {
        try await connection.client().client.call(action, parameters, operation: operation)
    }

    /// TerminateInstances, StartInstances or StopInstances of one instance, batched with
    /// concurrent actions' (EC2Batcher).
    func batched(_ kind: EC2Batcher.Kind, _ id: String, _ operation: String) async throws {
        try await connection.client().batcher.submit(kind, id: id, operation: operation)
    }

    func snapshot(_ operation: String) async throws -> [String: EC2Instance] {
        try await connection.client().poller.snapshot(operation: operation)
    }

    /// Waits until the instance is in `state` (and, running, has its private address).
    func wait(_ id: String, for state: String, _ operation: String) async throws -> EC2Instance {
        let poller = try connection.client().poller
        let found = try await poller.wait(for: id, operation: operation, interval: settings.pollInterval, timeout: Self.stateTimeout, what: state) { instance in
            guard let instance else { return false }
            return instance.isGone || (instance.state == state && (state != "running" || !instance.privateAddress.isEmpty))
        }
        guard let found, !found.isGone || state == "terminated" else {
            throw ProviderError(provider: name, operation: operation, message: "instance \(id) was terminated while firm waited for it to be \(state)")
        }
        return found
    }

    public func validate() async throws {
        _ = try await connection.availabilityZone(operation: "validate")
    }

    public func deploy(_ request: DeployRequest) async throws -> DeployAppResult {
        guard !request.subnets.isEmpty else {
            throw ProviderError(provider: name, operation: "deploy", message: "app.\(request.appName) is connected to no subnet; on ec2 every app needs a network of provider \(name)")
        }
        let network = try await connection.sandboxNetwork(operation: "deploy")
        let deployment = EC2Deployment(request.deploymentAttributes)
        let spec = Self.launchSpec(deployment, subnets: request.subnets, network: network)
        let launcher = try connection.client().launcher
        let launched = if let recorder = request.launchRecorder {
            try await launcher.launch(spec, EC2Launcher.Member(app: request.appName, vmName: request.vmName, recorder: recorder))
        } else {
            try await launcher.launchAlone(spec, app: request.appName, vmName: request.vmName)
        }
        if launched.slot != nil && settings.nameInstances {
            // Launched with others, under the launch's tags: named as it starts.
            try await name(launched.instance.id, app: request.appName, vmName: request.vmName, "deploy")
        }
        // Instances start on their own: one the blueprint wants on is deployed once EC2 has it,
        // with the address it was launched with, and refreshIP waits for it to run. One the
        // blueprint wants off is stopped here, once it runs, saving a call.
        if request.desiredPower == .on && !launched.instance.privateAddress.isEmpty {
            try await connection.client().poller.expect([launched.instance.id])
            var result = Self.result(request.vmName, launched.instance, deployment)
            result.power = .on
            return result
        }
        let instance = try await wait(launched.instance.id, for: "running", "deploy")
        var result = Self.result(request.vmName, instance, deployment)
        if request.desiredPower == .off {
            try await batched(.stop, instance.id, "deploy")
            _ = try await wait(instance.id, for: "stopped", "deploy")
            result.power = .off
        } else {
            result.power = .on
        }
        return result
    }

    /// The RunInstances parameters of a deployment, but for the counts, the token and the tags.
    static func launchSpec(_ deployment: EC2Deployment, subnets: [SubnetConnection], network: EC2Connection.SandboxNetwork) -> EC2Launcher.Spec {
        var parameters: [(String, String)] = [("ImageId", deployment.ami), ("InstanceType", deployment.instanceType)]
        if let key = network.keyName { parameters.append(("KeyName", key)) }
        if let data = deployment.userData { parameters.append(("UserData", Data(data.utf8).base64EncodedString())) }
        if let disk = deployment.diskGiB {
            parameters += [("BlockDeviceMapping.1.DeviceName", "/dev/xvda"), ("BlockDeviceMapping.1.Ebs.VolumeSize", String(disk)),
                           ("BlockDeviceMapping.1.Ebs.DeleteOnTermination", "true")]
        }
        for (i, subnet) in subnets.enumerated() {
            let prefix = "NetworkInterface.\(i + 1)"
            parameters += [("\(prefix).DeviceIndex", String(i)), ("\(prefix).SubnetId", subnet.subnetId), ("\(prefix).SecurityGroupId.1", network.securityGroup),
                           ("\(prefix).DeleteOnTermination", "true")]
            // EC2 gives a public address only to an instance with one interface.
            if subnets.count == 1 && subnet.isPublic { parameters.append(("\(prefix).AssociatePublicIpAddress", "true")) }
        }
        return EC2Launcher.Spec(parameters)
    }

    /// Tags an instance of a batched launch with its VM name and app.
    func name(_ id: String, app: String, vmName: String, _ operation: String) async throws {
        _ = try await call("CreateTags", [("ResourceId.1", id), ("Tag.1.Key", "Name"), ("Tag.1.Value", vmName),
                                          ("Tag.2.Key", EC2Tags.app), ("Tag.2.Value", app)], operation)
    }

    /// The instance a batched launch made in `slot`, as the VM `vmName` of `app`; named so in
    /// EC2 too when `nameInstances` is set and it is not yet.
    public func findLaunched(_ slot: LaunchSlot, app: String, vmName: String) async throws -> Observation? {
        let found = try await snapshot("findDeployed").values.filter { instance in
            !instance.isGone && instance.tags[EC2Launcher.launchTag] == slot.token && instance.launchIndex == slot.index
        }.min { $0.id < $1.id }
        guard let instance = found else { return nil }
        if settings.nameInstances && (instance.tags["Name"] != vmName || instance.tags[EC2Tags.app] != app) {
            try await name(instance.id, app: app, vmName: vmName, "findDeployed")
        }
        var observation = instance.observation
        observation.vmName = vmName
        observation.appName = app
        return observation
    }

    static func result(_ vmName: String, _ instance: EC2Instance, _ deployment: EC2Deployment) -> DeployAppResult {
        let interfaces: [JSON] = instance.interfaces.enumerated().map { i, nic in
            ["interfaceId": .string(nic.id), "networkId": .string(nic.subnet), "isPrimary": .bool(i == 0), "isPredefined": false,
             "privateIpAddress": .string(i == 0 ? instance.privateAddress : ""), "publicIpAddress": .string(i == 0 ? instance.publicAddress : "")]
        }
        let details: JSON = [
            "vmInstanceData": [["key": "Instance Type", "value": .string(instance.instanceType), "hidden": false],
                               ["key": "Availability Zone", "value": .string(instance.zone), "hidden": false],
                               ["key": "AMI", "value": .string(deployment.ami), "hidden": false]],
            "vmNetworkData": .array(interfaces),
        ]
        var subnetInterfaces: [String: String] = [:]
        for nic in instance.interfaces where !nic.subnet.isEmpty { subnetInterfaces[nic.subnet] = nic.id }
        return DeployAppResult(vmName: vmName, vmUuid: instance.id, deployedAppAddress: instance.privateAddress,
                               deployedAppAdditionalData: ["instanceType": .string(instance.instanceType), "availabilityZone": .string(instance.zone)],
                               vmDetailsData: details, subnetInterfaces: subnetInterfaces)
    }

    public func powerOn(_ app: DeployedApp) async throws {
        try await batched(.start, app.vmUuid, "powerOn")
        _ = try await wait(app.vmUuid, for: "running", "powerOn")
    }

    public func powerOff(_ app: DeployedApp) async throws {
        try await batched(.stop, app.vmUuid, "powerOff")
        _ = try await wait(app.vmUuid, for: "stopped", "powerOff")
    }

    public func refreshIP(_ app: DeployedApp) async throws -> Addresses {
        // Right after a deploy the shared poller has seen the instance running with its address,
        // at most a backed-off wait's poll interval ago: as current as the next poll would be.
        let poller = try connection.client().poller
        if let seen = await poller.recent(app.vmUuid, within: settings.pollInterval * 8), seen.state == "running", !seen.privateAddress.isEmpty {
            return Addresses(privateAddress: seen.privateAddress, publicAddress: seen.publicAddress)
        }
        guard let instance = try await poller.watch(app.vmUuid, operation: "refreshIP"), !instance.isGone else {
            throw ProviderError(provider: name, operation: "refreshIP", message: "instance \(app.vmUuid) (\(app.vmName)) does not exist")
        }
        guard instance.state == "running" || instance.state == "pending" else {
            throw ProviderError(provider: name, operation: "refreshIP", message: "instance \(app.vmUuid) (\(app.vmName)) is \(instance.state), not running")
        }
        let running = instance.state == "running" && !instance.privateAddress.isEmpty ? instance : try await wait(app.vmUuid, for: "running", "refreshIP")
        return Addresses(privateAddress: running.privateAddress, publicAddress: running.publicAddress)
    }

    /// TerminateInstances (batched); one that is already gone is success. EC2 ends a terminated
    /// instance on its own, so nothing waits for it here: cleaning the sandbox's network waits
    /// until its instances have ended.
    public func delete(_ app: DeployedApp) async throws {
        do {
            try await batched(.terminate, app.vmUuid, "delete")
        } catch where EC2Errors.isNotFound(error) {
            return
        }
    }

    public func findByName(_ vmName: String) async throws -> Observation? {
        try await snapshot("findByName").values.filter { $0.tags["Name"] == vmName && !$0.isGone }.min { $0.id < $1.id }?.observation
    }

    public func observe(_ apps: [DeployedApp]) async throws -> [Observation] {
        let instances = try await snapshot("observe")
        return apps.map { app in
            instances[app.vmUuid]?.observation
                ?? Observation(vmName: app.vmName, vmUuid: app.vmUuid, exists: false, power: nil, addresses: Addresses(privateAddress: ""))
        }
    }

    public func inventory(sandbox: String) async throws -> [Observation] {
        guard sandbox == self.sandbox else { return [] }
        return try await snapshot("inventory").values.filter { !$0.isGone }.sorted { $0.id < $1.id }.map(\.observation)
    }
}
