import FirmBase
import FirmModel

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

    /// `[{"name", "value"}]`, sorted by name: how deployed_app_json and app_request_json list attributes.
    static func nameValueList(_ map: [String: String]) -> JSON {
        .array(map.keys.sorted().map { ["name": .string($0), "value": .string(map[$0]!)] })
    }

    /// CloudShell's generic app family and model, which deployed apps carry unless a shell
    /// defines its own.
    static let appFamily = "Generic App Family", appModel = "Generic App Model"

    /// A deployedAppAdditionalData value as CloudShell hands it back in vmCustomParams: a string
    /// (booleans as Python and .NET write them, other values as compact JSON).
    static func customParamValue(_ value: JSON) -> String {
        switch value {
        case .string(let s): s
        case .bool(let b): b ? "True" : "False"
        case .null: ""
        default: value.compactText
        }
    }

    /// CloudShell's deployed_app_json: the resource name (the VM name), family, model, address,
    /// the User, Password and Public IP attributes (always present, as cp-core needs them), and
    /// vmdetails with the cloud's id and the deployedAppAdditionalData as vmCustomParams.
    static func deployedAppJson(_ app: DeployedApp, provider: String) -> JSON {
        var attributes = app.attributes
        for key in ["User", "Password"] where attributes[key] == nil { attributes[key] = "" }
        attributes["Public IP"] = app.publicAddress
        let custom: [JSON] = app.additionalData.keys.sorted().map { ["name": .string($0), "value": .string(customParamValue(app.additionalData[$0]!))] }
        return [
            "name": .string(app.vmName), "family": .string(appFamily), "model": .string(appModel), "address": .string(app.address),
            "attributes": nameValueList(attributes),
            "vmdetails": ["id": "", "cloudProviderId": .string(provider), "uid": .string(app.vmUuid), "vmCustomParams": .array(custom)],
        ]
    }

    /// CloudShell's app_request_json: the app (logicalResource) and its deployment path
    /// (deploymentService, whose model is the deployment path, as cp-core's registered
    /// deployment-path models expect).
    static func appRequestJson(_ app: DeployedApp, provider: String) -> JSON {
        [
            "name": .string(app.appName), "description": .null,
            "logicalResource": ["family": .string(appFamily), "model": .string(appModel), "driver": .null, "description": "",
                                "attributes": nameValueList(app.attributes)],
            "deploymentService": ["cloudProviderName": .string(provider), "name": .string(app.deploymentType), "model": .string(app.deploymentType),
                                  "driver": .null, "attributes": nameValueList(app.deploymentAttributes)],
        ]
    }

    /// One app as GetVmDetails lists it: `{"appRequestJson", "deployedAppJson"}`, both objects.
    static func appItem(_ app: DeployedApp, provider: String) -> JSON {
        ["appRequestJson": appRequestJson(app, provider: provider), "deployedAppJson": deployedAppJson(app, provider: provider)]
    }

    /// The params of powerOn, powerOff, refreshIP and delete: the app as GetVmDetails lists it,
    /// and beside it firm's own additions, the app's name in the blueprint and the sandbox.
    static func appParams(_ app: DeployedApp, provider: String, sandbox: String) -> JSON {
        ["appName": .string(app.appName), "sandbox": .string(sandbox),
         "appRequestJson": appRequestJson(app, provider: provider), "deployedAppJson": deployedAppJson(app, provider: provider)]
    }

    /// A Deploy: connectSubnet actions, then the deployApp action, inside `driverRequest` exactly
    /// as CloudShell sends them; firm's own additions (the unique VM name, unless the driver
    /// names VMs itself, and the sandbox) travel beside it, never inside it, since cp-core's
    /// DeployAppParams refuses unknown keys.
    static func deployRequest(_ r: DeployRequest, naming: ProviderCapabilities.Naming) -> JSON {
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
        var params = JSONObject([("sandbox", .string(r.sandbox))])
        if naming == .given { params["vmName"] = .string(r.vmName) }
        params["driverRequest"] = ["actions": .array(actions)]
        return .object(params)
    }

    /// The action results of a driverResponse.
    static func actionResults(_ json: JSON) -> [JSON]? {
        json["driverResponse"]?["actionResults"]?.arrayValue
    }

    /// A ConnectToSubnet result's `interface`: a name or id as it is, or, where a shell puts a
    /// JSON object there (cp-aws: `{"interface_id": "eni-…", "IP": …, "MAC Address": …}`), the
    /// interface id from it.
    static func interfaceName(_ text: String) -> String {
        guard text.hasPrefix("{"), let object = (try? JSONReader.parse(text))?.plain.objectValue else { return text }
        for key in ["interface_id", "interfaceId", "id"] {
            if let id = object[key]?.stringValue, !id.isEmpty { return id }
        }
        return text
    }

    /// An observation: `{"vmName", "vmUuid", "exists", "power", "privateIp", "publicIp", "vlans", "subnets", "appName", "sandbox"}`.
    static func observation(_ json: JSON) -> Observation? {
        guard let uuid = json["vmUuid"]?.stringValue, let exists = json["exists"]?.boolValue else { return nil }
        return Observation(vmName: json["vmName"]?.stringValue ?? "", vmUuid: uuid, exists: exists,
                           power: json["power"]?.stringValue.flatMap(Power.init(rawValue:)),
                           addresses: Addresses(privateAddress: json["privateIp"]?.stringValue ?? "", publicAddress: json["publicIp"]?.stringValue ?? ""),
                           appName: json["appName"]?.stringValue ?? "", sandbox: json["sandbox"]?.stringValue ?? "",
                           vlans: json["vlans"]?.arrayValue?.compactMap(\.intValue),
                           subnetIds: json["subnets"]?.arrayValue?.compactMap(\.stringValue))
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

    /// SaveApp as CloudShell sends it (cp-core's `SaveRestoreRequestActions` parses it): one
    /// saveApp action with SaveAppParams; firm's additions (the sandbox, the snapshot's name
    /// and the app as GetVmDetails lists it) travel beside `driverRequest`.
    static func saveRequest(_ r: SaveAppRequest, provider: String) -> JSON {
        let action: JSON = [
            "actionId": .string(r.actionId), "type": "saveApp",
            "actionParams": ["type": "saveAppParams", "saveDeploymentModel": .string(r.deploymentType), "savedSandboxId": .string(r.sandbox),
                             "sourceVmUuid": .string(r.app.vmUuid), "sourceAppName": .string(r.app.appName),
                             "deploymentPathAttributes": attributeList(r.app.deploymentAttributes)],
        ]
        return ["sandbox": .string(r.sandbox), "snapshot": .string(r.snapshot), "appName": .string(r.app.appName),
                "appRequestJson": appRequestJson(r.app, provider: provider), "deployedAppJson": deployedAppJson(r.app, provider: provider),
                "driverRequest": ["actions": [action]]]
    }

    /// DeleteSavedApp as CloudShell sends it, with the SaveAppResult's artifacts.
    static func deleteSavedRequest(_ r: DeleteSavedAppRequest) -> JSON {
        let artifacts: [JSON] = r.artifacts.keys.sorted().map { ["type": "artifact", "artifactName": .string($0), "artifactRef": .string(r.artifacts[$0]!)] }
        let action: JSON = [
            "actionId": .string(r.actionId), "type": "deleteSavedApp",
            "actionParams": ["type": "deleteSavedAppParams", "saveDeploymentModel": "", "savedSandboxId": .string(r.sandbox),
                             "artifacts": .array(artifacts), "savedAppName": .string(r.snapshot)],
        ]
        return ["sandbox": .string(r.sandbox), "snapshot": .string(r.snapshot), "driverRequest": ["actions": [action]]]
    }

    /// A SaveAppResult's artifacts (`[{artifactRef, artifactName}]`) and savedEntityAttributes
    /// (`[{attributeName, attributeValue}]`); nil when either has another shape.
    static func saveResult(_ json: JSON) -> SaveAppResult? {
        var artifacts: [String: String] = [:]
        for item in json["artifacts"]?.arrayValue ?? [] {
            guard let name = item["artifactName"]?.stringValue, let ref = item["artifactRef"]?.stringValue else { return nil }
            artifacts[name] = ref
        }
        guard json["artifacts"] == nil || json["artifacts"]?.arrayValue != nil,
            let attributes = attributeMap(json["savedEntityAttributes"]) else { return nil }
        return SaveAppResult(artifacts: artifacts, savedEntityAttributes: attributes)
    }

    /// CleanupSandboxInfra: CloudShell's one cleanupNetwork action.
    static func cleanRequest(sandbox: String) -> JSON {
        ["sandbox": .string(sandbox), "driverRequest": ["actions": [["actionId": "cleanup-network", "type": "cleanupNetwork"]]]]
    }
}
