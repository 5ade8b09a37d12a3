import Foundation
import FirmBase
import FirmModel

/// A provider whose driver is a child process (`"type": "process"`), in any language, speaking
/// JSON-RPC 2.0 with CloudShell's request and result shapes. The process starts at the first
/// call; secrets in `settings` (`{"env": NAME}`) reach it only through `initialize`.
public struct ProcessDriver: L2Connectivity, L3Infrastructure {
    public let name: String
    let sandbox: String
    let connectivity: Connectivity
    let connection: DriverConnection

    public init(name: String, spec: ProviderSpec, sandbox: String, baseDirectory: String,
                environment: Environment = .process, log: (@Sendable (String) -> Void)? = nil) {
        self.name = name
        self.sandbox = sandbox
        self.connectivity = spec.connectivity
        let settings = spec.settings
        let provider = name
        let connectivity = spec.connectivity
        var sink: (@Sendable (String) -> Void)?
        if let log {
            sink = { line in log("[\(provider)] " + line) }
        }
        let params: @Sendable () throws -> JSON = {
            let resolved = try ProcessDriver.resolve(settings, provider: provider, environment: environment)
            return [
                "protocolVersion": .int(DriverConnection.protocolVersion), "provider": .string(provider), "sandbox": .string(sandbox),
                "connectivity": .string(connectivity.rawValue), "settings": resolved,
            ]
        }
        connection = DriverConnection(provider: name, command: spec.command, workingDirectory: baseDirectory, timeouts: spec.timeouts,
                                      log: DriverLog(sink: sink), initializeParams: params)
    }

    /// Settings with `{"env": NAME}` values read from the environment.
    static func resolve(_ settings: JSON, provider: String, environment: Environment) throws -> JSON {
        var out = JSONObject()
        for (key, value) in settings.objectValue?.members ?? [] {
            if let env = value["env"]?.stringValue {
                guard let secret = environment[env] else {
                    throw ProviderError(provider: provider, operation: "start", message: "environment variable \(env) is not set (settings.\(key) needs it)")
                }
                out[key] = .string(secret)
            } else {
                out[key] = value
            }
        }
        return .object(out)
    }

    func shapeError(_ method: String, _ what: String, _ got: JSON) async -> ProviderError {
        await connection.error(method, "answered \(method) with the wrong shape: \(what); got \(DriverConnection.excerpt(got.compactText))")
    }

    /// initialize, and a check that the driver's connectivity model is the blueprint's and that
    /// its capabilities can be read.
    public func validate() async throws {
        let hello = try await connection.started()
        let model = hello["connectivity"]?.stringValue ?? ""
        guard model == connectivity.rawValue else {
            throw await connection.error("initialize", "says its connectivity is \(quoted(model)); the blueprint says \(connectivity.rawValue)")
        }
        _ = try await capabilities()
    }

    /// The capabilities the driver declared in `initialize`.
    public func capabilities() async throws -> ProviderCapabilities {
        let hello = try await connection.started()
        do {
            return try DriverCapabilities.read(hello)
        } catch {
            throw await connection.error("initialize", "answered initialize with the wrong shape: \(error.message)")
        }
    }

    func params(_ app: DeployedApp) -> JSON { CloudShellShapes.appParams(app, provider: name, sandbox: sandbox) }

    public func deploy(_ request: DeployRequest) async throws -> DeployAppResult {
        let naming = try await capabilities().vmNames
        let answer = try await connection.call(.deploy, CloudShellShapes.deployRequest(request, naming: naming))
        guard let results = CloudShellShapes.actionResults(answer),
            let result = results.first(where: { $0["actionId"]?.stringValue == request.actionId })
        else { throw await shapeError("deploy", "no DeployApp result for actionId \(request.actionId)", answer) }
        guard result["success"]?.boolValue ?? true else {
            throw await connection.error("deploy", result["errorMessage"]?.stringValue ?? "success is false")
        }
        guard let uuid = result["vmUuid"]?.stringValue, !uuid.isEmpty, let vmName = result["vmName"]?.stringValue else {
            throw await shapeError("deploy", "DeployApp needs vmUuid and vmName", result)
        }
        guard naming == .own || vmName == request.vmName else {
            throw await connection.error("deploy", "named the VM \(quoted(vmName)), not \(quoted(request.vmName)) as asked; an interrupted deploy could not be found again")
        }
        guard let attributes = CloudShellShapes.attributeMap(result["deployedAppAttributes"]) else {
            throw await shapeError("deploy", "deployedAppAttributes must be [{attributeName, attributeValue}]", result)
        }
        var additional: [String: JSON] = [:]
        switch result["deployedAppAdditionalData"] {
        case nil, .null?: break
        case .object(let o)?: for key in o.keys { additional[key] = o[key] }
        default: throw await shapeError("deploy", "deployedAppAdditionalData must be an object (a dict), such as {\"ready\": true}", result)
        }
        var interfaces: [String: String] = [:]
        for s in request.subnets {
            let r = results.first { $0["actionId"]?.stringValue == s.actionId }
            interfaces[s.subnetId] = CloudShellShapes.interfaceName(r?["interface"]?.stringValue ?? "")
        }
        return DeployAppResult(vmName: vmName, vmUuid: uuid, deployedAppAddress: result["deployedAppAddress"]?.stringValue ?? "",
                               deployedAppAttributes: attributes, deployedAppAdditionalData: additional,
                               vmDetailsData: result["vmDetailsData"] ?? .null, subnetInterfaces: interfaces)
    }

    public func powerOn(_ app: DeployedApp) async throws {
        _ = try await connection.call(.powerOn, params(app))
    }

    public func powerOff(_ app: DeployedApp) async throws {
        _ = try await connection.call(.powerOff, params(app))
    }

    /// CloudShell's remote_refresh_ip. A driver that does not answer with the addresses (as
    /// shells, which report them through CloudShell's API, do not) is observed after it.
    public func refreshIP(_ app: DeployedApp) async throws -> Addresses {
        let answer = try await connection.call(.refreshIP, params(app))
        guard try await capabilities().refreshIPAddresses else {
            guard let seen = try await observe([app]).first, seen.exists else {
                throw await connection.error("refreshIP", "VM \(app.vmName) (\(app.vmUuid)) does not exist")
            }
            return seen.addresses
        }
        guard let ip = answer["privateIp"]?.stringValue else { throw await shapeError("refreshIP", "expected {\"privateIp\", \"publicIp\"}", answer) }
        return Addresses(privateAddress: ip, publicAddress: answer["publicIp"]?.stringValue ?? "")
    }

    public func delete(_ app: DeployedApp) async throws {
        _ = try await connection.call(.delete, params(app))
    }

    public func findByName(_ vmName: String) async throws -> Observation? {
        let answer = try await connection.call(.findByName, ["vmName": .string(vmName)])
        if answer == .null { return nil }
        guard let o = CloudShellShapes.observation(answer) else { throw await shapeError("findByName", "expected an observation or null", answer) }
        return o.exists ? o : nil
    }

    public func observe(_ apps: [DeployedApp]) async throws -> [Observation] {
        let answer = try await connection.call(.observe, ["sandbox": .string(sandbox), "items": .array(apps.map { CloudShellShapes.appItem($0, provider: name) })])
        guard let items = answer.arrayValue, items.count == apps.count else {
            throw await shapeError("observe", "expected an array of \(apps.count) observations, in order", answer)
        }
        var result: [Observation] = []
        for (item, app) in zip(items, apps) {
            guard var o = CloudShellShapes.observation(item), o.vmUuid == app.vmUuid else {
                throw await shapeError("observe", "each observation needs vmUuid (matching the request, in order) and exists", item)
            }
            if o.appName.isEmpty { o.appName = app.appName }
            result.append(o)
        }
        return result
    }

    public func inventory(sandbox: String) async throws -> [Observation] {
        let answer = try await connection.call(.inventory, ["sandbox": .string(sandbox)])
        guard let items = answer.arrayValue else { throw await shapeError("inventory", "expected an array of observations", answer) }
        var result: [Observation] = []
        for item in items {
            guard let o = CloudShellShapes.observation(item) else { throw await shapeError("inventory", "each observation needs vmUuid and exists", item) }
            result.append(o)
        }
        return result
    }

    public func applyConnectivityChanges(_ changes: [VLANChange]) async throws -> [VLANResult] {
        let answer = try await connection.call(.applyConnectivityChanges, CloudShellShapes.vlanRequest(changes))
        guard let results = CloudShellShapes.actionResults(answer) else {
            throw await shapeError("applyConnectivityChanges", "expected {\"driverResponse\": {\"actionResults\": [...]}}", answer)
        }
        return results.compactMap { r in
            guard let id = r["actionId"]?.stringValue else { return nil }
            return VLANResult(actionId: id, success: r["success"]?.boolValue ?? false, errorMessage: r["errorMessage"]?.stringValue ?? "",
                              updatedInterface: r["updatedInterface"]?.stringValue ?? "")
        }
    }

    public func prepareSandboxInfra(_ request: InfraRequest) async throws -> InfraResult {
        let answer = try await connection.call(.prepareSandboxInfra, CloudShellShapes.prepareRequest(request))
        guard let results = CloudShellShapes.actionResults(answer) else {
            throw await shapeError("prepareSandboxInfra", "expected {\"driverResponse\": {\"actionResults\": [...]}}", answer)
        }
        func result(_ id: String) -> JSON? { results.first { $0["actionId"]?.stringValue == id } }
        for r in results where !(r["success"]?.boolValue ?? true) {
            throw await connection.error("prepareSandboxInfra", "\(r["type"]?.stringValue ?? "an action") failed: \(r["errorMessage"]?.stringValue ?? "")")
        }
        var ids: [String: String] = [:]
        for s in request.subnets {
            guard let id = result("prepare-subnet-\(s.name)")?["subnetId"]?.stringValue else {
                throw await shapeError("prepareSandboxInfra", "no PrepareSubnet result with a subnetId for \(s.name)", answer)
            }
            ids[s.name] = id
        }
        let keys = request.createKeys ? result("create-keys")?["accessKey"]?.stringValue : nil
        if request.createKeys && keys == nil { throw await shapeError("prepareSandboxInfra", "no CreateKeys result with an accessKey", answer) }
        // cp-core's PrepareCloudInfraResult has no field for the network; cp-aws adds vpcId.
        let cloud = result("prepare-cloud")
        return InfraResult(networkId: cloud?["networkId"]?.stringValue ?? cloud?["vpcId"]?.stringValue ?? "", subnetIds: ids, keys: keys)
    }

    /// CloudShell's CleanupSandboxInfra (cleanupNetwork) for everything, or firm's
    /// `cleanupSubnets` for some subnets, which only a driver that declares it is sent.
    public func cleanSandboxInfra(_ request: InfraCleanup) async throws {
        guard !request.all else {
            let answer = try await connection.call(.cleanSandboxInfra, CloudShellShapes.cleanRequest(sandbox: request.sandbox))
            for r in CloudShellShapes.actionResults(answer) ?? [] where !(r["success"]?.boolValue ?? true) {
                throw await connection.error("cleanSandboxInfra", r["errorMessage"]?.stringValue ?? "success is false")
            }
            return
        }
        guard try await capabilities().cleanupSubnets else {
            throw await connection.error("cleanupSubnets", "does not declare the cleanupSubnets capability: it can only clean up the whole sandbox")
        }
        _ = try await connection.call(.cleanupSubnets, ["sandbox": .string(request.sandbox), "subnetIds": .array(request.subnetIds.map(JSON.string))])
    }

    /// Asks the driver to exit by closing its stdin.
    public func shutdown() async {
        await connection.shutdown()
    }
}
