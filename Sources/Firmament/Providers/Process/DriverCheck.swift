/// `firm driver check`: runs a driver through every operation of the protocol and reports what
/// it gets wrong. Driver authors run it in their own CI.
public enum DriverCheck {
    public struct Result: Sendable, Equatable {
        public var name: String
        public var passed: Bool
        public var detail: String
    }

    /// Runs every check against `driver` (which must be a `ProcessDriver` started for a sandbox
    /// of its own). `connectivity` is what the driver should say it is.
    public static func run(_ driver: ProcessDriver) async -> [Result] {
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
        try? await driver.validate()

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

        let vmName = "check__" + UUIDText.hex(6)
        var app = DeployedApp(appName: "check", vmName: vmName, vmUuid: "")
        guard await check("deploy creates the VM under the name it is given", {
            let r = try await driver.deploy(DeployRequest(actionId: UUIDText.random(), appName: "check", vmName: vmName, sandbox: driver.sandbox,
                                                          deploymentType: "check", deploymentAttributes: ["CPU": "1"], appAttributes: ["User": "check"],
                                                          subnets: subnet.map { [$0] } ?? []))
            app.vmUuid = r.vmUuid
            app.address = r.deployedAppAddress
            return "\(r.vmName) \(r.vmUuid) \(r.deployedAppAddress)"
        }) else { return results }
        _ = await check("findByName finds the VM", {
            let o = try await driver.findByName(vmName)
            try expect(o?.vmUuid == app.vmUuid, "found \(o.map { $0.vmUuid } ?? "nothing")")
            return "found"
        })
        _ = await check("observe reports the VM, powered off after deploy", {
            let o = try await driver.observe([app])
            try expect(o.first?.exists == true && o.first?.power == .off, "observed \(o)")
            return "exists, off"
        })
        _ = await check("powerOn, then observe says on", {
            try await driver.powerOn(app)
            let o = try await driver.observe([app])
            try expect(o.first?.power == .on, "observed power \(String(describing: o.first?.power))")
            return "on"
        })
        _ = await check("refreshIP returns the VM's address", {
            let a = try await driver.refreshIP(app)
            try expect(!a.privateAddress.isEmpty, "empty privateIp")
            return a.privateAddress
        })
        if !l3 {
            _ = await check("applyConnectivityChanges echoes actionIds and returns an interface; observe shows the VLAN", {
                let set = VLANChange(actionId: UUIDText.random(), kind: .setVlan, app: app, vlan: 42, mode: .access)
                let r = try await driver.applyConnectivityChanges([set])
                try expect(r.count == 1 && r[0].actionId == set.actionId && r[0].success, "results \(r)")
                try expect(!r[0].updatedInterface.isEmpty, "no updatedInterface")
                try expect(try await driver.observe([app]).first?.vlans == [42], "observe does not show VLAN 42")
                let remove = VLANChange(actionId: UUIDText.random(), kind: .removeVlan, app: app, vlan: 42, mode: .access, interface: r[0].updatedInterface)
                let gone = try await driver.applyConnectivityChanges([remove])
                try expect(gone.first?.success == true, "removeVlan failed: \(gone)")
                let again = try await driver.applyConnectivityChanges([remove])
                try expect(again.first?.success == true, "removeVlan of a VLAN already removed failed: \(again)")
                return "interface \(r[0].updatedInterface)"
            })
        }
        _ = await check("inventory lists the sandbox's VM", {
            let all = try await driver.inventory(sandbox: driver.sandbox)
            try expect(all.contains { $0.vmUuid == app.vmUuid }, "inventory has \(all.count) VMs, not this one")
            return "\(all.count) VM"
        })
        _ = await check("several requests in flight at once are all answered", {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<5 { group.addTask { _ = try await driver.findByName(vmName) } }
                try await group.waitForAll()
            }
            return "5 concurrent findByName"
        })
        _ = await check("an unknown method gets a JSON-RPC error, and the driver keeps answering", {
            do {
                _ = try await driver.connection.call("firm/noSuchMethod", [:])
                throw CheckFailure("it answered an unknown method with a result")
            } catch is ProviderError {}
            _ = try await driver.findByName(vmName)
            return "error, then still answering"
        })
        _ = await check("powerOff, then observe says off", {
            try await driver.powerOff(app)
            try expect(try await driver.observe([app]).first?.power == .off, "still on")
            return "off"
        })
        _ = await check("delete removes the VM, and deleting it again succeeds", {
            try await driver.delete(app)
            try expect(try await driver.findByName(vmName) == nil, "findByName still finds it")
            try expect(try await driver.observe([app]).first?.exists == false, "observe says it exists")
            try await driver.delete(app)
            return "gone"
        })
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
