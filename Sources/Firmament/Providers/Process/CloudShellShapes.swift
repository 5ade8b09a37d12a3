/// CloudShell's JSON shapes, as the process protocol carries them (see docs/drivers.md and
/// ../shared/reference/cloudshell-driver-interface.md).
enum CloudShellShapes {
    /// `[{"attributeName", "attributeValue", "type"}]`, sorted by name.
    static func attributeList(_ map: [String: String], type: String = "attribute") -> JSON {
        .array(map.keys.sorted().map { ["attributeName": .string($0), "attributeValue": .string(map[$0]!), "type": .string(type)] })
    }

    /// A `[{attributeName, attributeValue}]` list (or a plain object) as a map.
    static func attributeMap(_ json: JSON?) -> [String: String]? {
        guard let json else { return [:] }
        if let map = json.stringMap { return map }
        guard let items = json.arrayValue else { return nil }
        var map: [String: String] = [:]
        for item in items {
            guard let name = item["attributeName"]?.stringValue ?? item["name"]?.stringValue,
                let value = item["attributeValue"]?.stringValue ?? item["value"]?.stringValue else { return nil }
            map[name] = value
        }
        return map
    }

    /// CloudShell's deployed_app_json, plus `appName`.
    static func deployedApp(_ app: DeployedApp) -> JSON {
        [
            "name": .string(app.vmName), "appName": .string(app.appName), "address": .string(app.address),
            "attributes": [["name": "Public IP", "value": .string(app.publicAddress)]],
            "vmdetails": ["uid": .string(app.vmUuid), "vmCustomParams": []],
        ]
    }

    /// A Deploy: connectSubnet actions, then the deployApp action, inside `driverRequest` exactly
    /// as CloudShell sends them; firm's own additions (the unique VM name and the sandbox) travel
    /// beside it, never inside it, since cp-core's DeployAppParams refuses unknown keys.
    static func deployRequest(_ r: DeployRequest) -> JSON {
        var actions: [JSON] = r.subnets.enumerated().map { i, s in
            ["actionId": .string(s.actionId), "type": "connectSubnet",
             "actionParams": ["type": "connectToSubnetParams", "subnetId": .string(s.subnetId), "cidr": .string(s.cidr),
                              "isPublic": .bool(s.isPublic), "vnicName": .string(String(i)),
                              // CloudShell types these "attribute" (AWS-Shell's parser fixture); cp-core knows no other.
                              "subnetServiceAttributes": attributeList(["Network": s.network, "Public": s.isPublic ? "True" : "False",
                                                                        "Allocated CIDR": s.cidr, "Subnet Id": s.subnetId], type: "attribute")]]
        }
        actions.append(["actionId": .string(r.actionId), "type": "deployApp",
                        "actionParams": ["type": "deployAppParams", "appName": .string(r.appName),
                                         "deployment": ["type": "deployAppDeploymentInfo", "deploymentPath": .string(r.deploymentType),
                                                        "attributes": attributeList(r.deploymentAttributes)],
                                         "appResource": ["type": "appResourceInfo", "attributes": attributeList(r.appAttributes)]]])
        return ["sandbox": .string(r.sandbox), "vmName": .string(r.vmName), "driverRequest": ["actions": .array(actions)]]
    }

    /// The action results of a driverResponse.
    static func actionResults(_ json: JSON) -> [JSON]? {
        json["driverResponse"]?["actionResults"]?.arrayValue
    }

    /// An observation: `{"vmName", "vmUuid", "exists", "power", "privateIp", "publicIp", "vlans", "subnets", "appName", "sandbox"}`.
    static func observation(_ json: JSON) -> Observation? {
        guard let uuid = json["vmUuid"]?.stringValue, let exists = json["exists"]?.boolValue else { return nil }
        return Observation(vmName: json["vmName"]?.stringValue ?? "", vmUuid: uuid, exists: exists,
                           power: json["power"]?.stringValue.flatMap(Power.init(rawValue:)),
                           addresses: Addresses(privateAddress: json["privateIp"]?.stringValue ?? "", publicAddress: json["publicIp"]?.stringValue ?? ""),
                           appName: json["appName"]?.stringValue ?? "", sandbox: json["sandbox"]?.stringValue ?? "",
                           vlans: json["vlans"]?.arrayValue?.compactMap(\.intValue) ?? [],
                           subnetIds: json["subnets"]?.arrayValue?.compactMap(\.stringValue) ?? [])
    }

    /// ApplyConnectivityChanges as CloudShell sends it: `connectionId` and `connectionParams`
    /// (with the VLAN service attributes connectivity-flow reads), `actionTarget`, the
    /// `Interface` connector attribute on removeVlan, and `VM_UUID`.
    static func vlanRequest(_ changes: [VLANChange]) -> JSON {
        ["driverRequest": ["actions": .array(changes.map { c in
            let vlan = String(c.vlan), mode = c.mode == .trunk ? "Trunk" : "Access"
            return [
                "connectionId": .string(c.actionId),
                "connectionParams": ["vlanId": .string(vlan), "mode": .string(mode),
                                     "vlanServiceAttributes": attributeList(["QnQ": "False", "CTag": "", "VLAN ID": vlan, "Virtual Network": vlan,
                                                                             "Access Mode": mode, "Isolation Level": "Exclusive"],
                                                                            type: "vlanServiceAttribute"),
                                     "type": "setVlanParameter"],
                "connectorAttributes": attributeList(c.interface.isEmpty ? [:] : ["Interface": c.interface], type: "connectorAttribute"),
                "actionTarget": ["fullName": .string(c.app.vmName), "fullAddress": .string(c.app.address.isEmpty ? "N/A" : c.app.address),
                                 "type": "actionTarget"],
                "customActionAttributes": attributeList(["VM_UUID": c.app.vmUuid], type: "customAttribute"),
                "actionId": .string(c.actionId), "type": .string(c.kind.rawValue),
            ]
        })]]
    }

    static func prepareRequest(_ r: InfraRequest) -> JSON {
        var actions: [JSON] = []
        if let cidr = r.cloudCIDR {
            actions.append(["actionId": "prepare-cloud", "type": "prepareCloudInfra", "actionParams": ["type": "prepareCloudInfraParams", "cidr": .string(cidr)]])
        }
        for s in r.subnets {
            actions.append(["actionId": .string("prepare-subnet-\(s.name)"), "type": "prepareSubnet",
                            "actionParams": ["type": "prepareSubnetParams", "cidr": .string(s.cidr), "isPublic": .bool(s.isPublic), "alias": .string(s.name)]])
        }
        if r.createKeys { actions.append(["actionId": "create-keys", "type": "createKeys"]) }
        return ["sandbox": .string(r.sandbox), "driverRequest": ["actions": .array(actions)]]
    }

    static func cleanRequest(_ r: InfraCleanup) -> JSON {
        let actions: [JSON] = r.all ? [["actionId": "cleanup-network", "type": "cleanupNetwork"]]
            : r.subnetIds.map { ["actionId": .string("cleanup-\($0)"), "type": "cleanupSubnet", "actionParams": ["subnetId": .string($0)]] }
        return ["sandbox": .string(r.sandbox), "driverRequest": ["actions": .array(actions)]]
    }
}
