import FirmBase
import FirmModel

/// `firm driver check`: runs a driver through every operation of the protocol and reports what
/// it gets wrong. Driver authors run it in their own CI.
public enum DriverCheck {
    public struct Result: Sendable, Equatable {
        public var name: String
        public var passed: Bool
        public var detail: String
    }

    /// The deployment path the check deploys with.
    public struct Deployment: Sendable {
        public var type = "check"
        public var attributes = ["CPU": "1"]
        public init() {}
    }

    /// Runs every check against `driver` (which must be a `ProcessDriver` started for a sandbox
    /// of its own). What it checks follows the capabilities and operations the driver declares.
    public static func run(_ driver: ProcessDriver, deployment: Deployment = Deployment()) async -> [Result] {
        var results: [Result] = []
        func check(_ name: String, _ body: () async throws -> String) async -> Bool {
            do {
                results.append(Result(name: name, passed: true, detail: try await body()))
                return true
            } catch {
                results.append(Result(name: name, passed: false, detail: "\(error)"))
                return false
            }
        }
        func expect(_ condition: Bool, _ message: @autoclosure () -> String) throws {
            if !condition { throw CheckFailure(message()) }
        }

        var hello: JSON = .null
        guard await check("initialize answers name, version, connectivity and operations", {
            hello = try await driver.connection.started()
            try expect(hello["version"]?.stringValue != nil, "no \"version\" in \(hello.compactText)")
            try expect(hello["operations"]?.arrayValue != nil, "no \"operations\" list in \(hello.compactText)")
            return "\(hello["name"]!.stringValue!) \(hello["version"]!.stringValue!), \(hello["connectivity"]!.stringValue!)"
        }) else { return results }
        let l3 = hello["connectivity"]?.stringValue == "L3"
        let operations = Set(hello["operations"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        var capabilities = ProviderCapabilities()
        guard await check("initialize declares capabilities firm can read", {
            capabilities = try await driver.capabilities()
            if capabilities.vmNames == .given {
                try expect(operations.contains("findByName"), "a driver that takes the names it is given must have findByName, to find an interrupted deploy's VM")
            }
            return "vmNames \(capabilities.vmNames.rawValue), cleanupSubnets \(capabilities.cleanupSubnets), refreshIPAddresses \(capabilities.refreshIPAddresses)"
                + (capabilities.inventory ? "" : ", no inventory")
        }) else { return results }
        try? await driver.validate()
        if operations.contains("catalog") {
            _ = await check("catalog answers hardware profiles, images and realms firm can read", {
                guard let catalog = try await driver.catalog(CatalogQuery(deployments: ["check": deployment.attributes])) else {
                    throw CheckFailure("the driver lists catalog in its operations but firm did not ask it")
                }
                let listed = ProviderCatalog.Collection.allCases.filter(catalog.listed.contains).map(\.rawValue)
                return "\(catalog.hardwareProfiles.count) hardware profile(s), \(catalog.images.count) image(s), \(catalog.realms.count) realm(s); lists \(listed.isEmpty ? "none" : listed.joined(separator: ", "))"
            })
        }

        var subnet: SubnetConnection?
        if l3 {
            let request = InfraRequest(sandbox: driver.sandbox, cloudCIDR: "10.99.0.0/16",
                                       subnets: [SubnetSpec(name: "check", cidr: "10.99.1.0/24", isPublic: false)], createKeys: true)
            guard await check("prepareSandboxInfra prepares a cloud, a subnet and keys", {
                let r = try await driver.prepareSandboxInfra(request)
                try expect(r.keys?.isEmpty == false, "no accessKey")
                subnet = SubnetConnection(actionId: "check-subnet", network: "check", subnetId: r.subnetIds["check"]!, cidr: "10.99.1.0/24", isPublic: false)
                return "subnet \(r.subnetIds["check"]!)"
            }) else { return results }
            _ = await check("prepareSandboxInfra is get-or-create", {
                let again = try await driver.prepareSandboxInfra(request)
                try expect(again.subnetIds["check"] == subnet?.subnetId, "a second call gave subnet \(again.subnetIds["check"] ?? "none"), not \(subnet!.subnetId)")
                return "same subnet id"
            })
        }

        var app = DeployedApp(appName: "check", vmName: "check__" + UUIDText.hex(6), vmUuid: "", deploymentType: deployment.type,
                              deploymentAttributes: deployment.attributes, attributes: ["User": "check", "Password": "check-password"])
        let given = capabilities.vmNames == .given
        guard await check(given ? "deploy creates the VM under the name it is given" : "deploy creates the VM and names it", {
            let r = try await driver.deploy(DeployRequest(actionId: UUIDText.random(), appName: "check", vmName: app.vmName, sandbox: driver.sandbox,
                                                          deploymentType: deployment.type, deploymentAttributes: deployment.attributes,
                                                          appAttributes: app.attributes, subnets: subnet.map { [$0] } ?? []))
            app.vmName = r.vmName
            app.vmUuid = r.vmUuid
            app.address = r.deployedAppAddress
            app.additionalData = r.deployedAppAdditionalData
            return "\(r.vmName) \(r.vmUuid) \(r.deployedAppAddress)"
        }) else { return results }
        let vmName = app.vmName
        if operations.contains("findByName") {
            _ = await check("findByName finds the VM", {
                let o = try await driver.findByName(vmName)
                try expect(o?.vmUuid == app.vmUuid, "found \(o.map { $0.vmUuid } ?? "nothing")")
                return "found"
            })
        }
        // A driver that can't tell the power state (a CloudShell shell: CloudShell keeps it
        // itself) reports none, and firm looks for no power drift on it.
        func power(_ o: Observation?) -> String { o?.power?.rawValue ?? "not reported" }
        // Off after deploy, or on where the cloud starts what it creates (EC2's RunInstances,
        // which Quali's AWS shell calls): firm powers it as the blueprint says next either way.
        _ = await check("observe reports the VM after deploy", {
            let o = try await driver.observe([app])
            try expect(o.first?.exists == true, "observed \(o)")
            return "exists, \(power(o.first))"
        })
        _ = await check("powerOn, then observe says on", {
            try await driver.powerOn(app)
            let o = try await driver.observe([app])
            try expect(o.first?.exists == true && o.first?.power != .off, "observed power \(power(o.first))")
            return power(o.first)
        })
        _ = await check("refreshIP returns the VM's address", {
            let a = try await driver.refreshIP(app)
            try expect(!a.privateAddress.isEmpty, "empty privateIp")
            return a.privateAddress
        })
        if operations.contains("saveApp") {
            _ = await check("saveApp saves the VM (a second saveApp answers the same), findSavedApp finds it, deleteSavedApp deletes it", {
                let request = SaveAppRequest(actionId: UUIDText.random(), snapshot: "check-snapshot", sandbox: driver.sandbox, app: app, deploymentType: deployment.type)
                let saved = try await driver.saveApp(request)
                try expect(!saved.artifacts.isEmpty || !saved.savedEntityAttributes.isEmpty, "a SaveAppResult with no artifacts and no savedEntityAttributes")
                var again = request
                again.actionId = UUIDText.random()
                let second = try await driver.saveApp(again)
                try expect(second == saved, "a second saveApp of the same snapshot made \(second.artifacts), not \(saved.artifacts)")
                if operations.contains("findSavedApp") {
                    let found = try await driver.findSavedApp(snapshot: "check-snapshot", sandbox: driver.sandbox)
                    try expect(found == saved, "findSavedApp found \(found.map { "\($0.artifacts)" } ?? "nothing")")
                }
                if operations.contains("deleteSavedApp") {
                    let delete = DeleteSavedAppRequest(actionId: UUIDText.random(), snapshot: "check-snapshot", sandbox: driver.sandbox, artifacts: saved.artifacts)
                    try await driver.deleteSavedApp(delete)
                    try await driver.deleteSavedApp(delete)
                    if operations.contains("findSavedApp") {
                        let gone = try await driver.findSavedApp(snapshot: "check-snapshot", sandbox: driver.sandbox)
                        try expect(gone == nil, "findSavedApp still finds it after deleteSavedApp")
                    }
                }
                return saved.artifacts.keys.sorted().map { "\($0) \(saved.artifacts[$0]!)" }.joined(separator: ", ")
            })
        }
        if !l3 {
            _ = await check("applyConnectivityChanges echoes actionIds and returns an interface; observe shows the VLAN", {
                let set = VLANChange(actionId: UUIDText.random(), kind: .setVlan, app: app, vlan: 42, mode: .access)
                let r = try await driver.applyConnectivityChanges([set])
                try expect(r.count == 1 && r[0].actionId == set.actionId && r[0].success, "results \(r)")
                try expect(!r[0].updatedInterface.isEmpty, "no updatedInterface")
                let vlans = try await driver.observe([app]).first?.vlans
                try expect(vlans == nil || vlans == [42], "observe does not show VLAN 42")
                let remove = VLANChange(actionId: UUIDText.random(), kind: .removeVlan, app: app, vlan: 42, mode: .access, interface: r[0].updatedInterface)
                let gone = try await driver.applyConnectivityChanges([remove])
                try expect(gone.first?.success == true, "removeVlan failed: \(gone)")
                let again = try await driver.applyConnectivityChanges([remove])
                try expect(again.first?.success == true, "removeVlan of a VLAN already removed failed: \(again)")
                return "interface \(r[0].updatedInterface)"
            })
        }
        if capabilities.inventory {
            _ = await check("inventory lists the sandbox's VM, tagged with its app", {
                let all = try await driver.inventory(sandbox: driver.sandbox)
                try expect(all.contains { $0.vmUuid == app.vmUuid && $0.appName == "check" }, "inventory has \(all.count) VMs, not this one tagged for app check")
                return "\(all.count) VM"
            })
        }
        _ = await check("several requests in flight at once are all answered", {
            let seen = app
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<5 { group.addTask { _ = try await driver.observe([seen]) } }
                try await group.waitForAll()
            }
            return "5 concurrent observe"
        })
        _ = await check("an unknown method gets a JSON-RPC error, and the driver keeps answering", {
            do {
                _ = try await driver.connection.call("firm/noSuchMethod", [:])
                throw CheckFailure("it answered an unknown method with a result")
            } catch is ProviderError {}
            _ = try await driver.observe([app])
            return "error, then still answering"
        })
        _ = await check("powerOff, then observe says off", {
            try await driver.powerOff(app)
            let o = try await driver.observe([app])
            try expect(o.first?.power != .on, "still on")
            return power(o.first)
        })
        _ = await check("delete removes the VM, and deleting it again succeeds", {
            try await driver.delete(app)
            if operations.contains("findByName") { try expect(try await driver.findByName(vmName) == nil, "findByName still finds it") }
            try expect(try await driver.observe([app]).first?.exists == false, "observe says it exists")
            try await driver.delete(app)
            return "gone"
        })
        if l3 && capabilities.cleanupSubnets {
            _ = await check("cleanupSubnets removes one subnet, and again succeeds", {
                let r = try await driver.prepareSandboxInfra(InfraRequest(sandbox: driver.sandbox, cloudCIDR: "10.99.0.0/16",
                                                                          subnets: [SubnetSpec(name: "check2", cidr: "10.99.2.0/24", isPublic: false)], createKeys: true))
                let id = try r.subnetIds["check2"] ?? { throw CheckFailure("no subnet id for check2") }()
                try await driver.cleanSandboxInfra(InfraCleanup(sandbox: driver.sandbox, all: false, subnetIds: [id]))
                try await driver.cleanSandboxInfra(InfraCleanup(sandbox: driver.sandbox, all: false, subnetIds: [id]))
                return "subnet \(id) cleaned"
            })
        }
        if l3 {
            _ = await check("cleanSandboxInfra removes the infrastructure, and again succeeds", {
                try await driver.cleanSandboxInfra(InfraCleanup(sandbox: driver.sandbox, all: true, subnetIds: []))
                try await driver.cleanSandboxInfra(InfraCleanup(sandbox: driver.sandbox, all: true, subnetIds: []))
                return "clean"
            })
        }
        await driver.shutdown()
        return results
    }
}

/// A conformance check that did not hold.
struct CheckFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
