#!/usr/bin/env python3
"""filecloud: a reference Firmament driver, in Python with the standard library only.

Its "cloud" is a JSON file of VM records (setting "stateFile"). It speaks newline-delimited
JSON-RPC 2.0 on stdin/stdout with CloudShell's request and result shapes; see docs/drivers.md.
Settings: stateFile (default .filecloud.json), cidr (default 10.80.0.0/16), connectivity
(L2 or L3, default L2). Logs go to stderr. It exits when stdin closes.
"""
import fcntl, ipaddress, json, os, sys, uuid

SETTINGS = {}
OPERATIONS = ["deploy", "powerOn", "powerOff", "refreshIP", "delete", "observe", "findByName",
              "inventory", "applyConnectivityChanges", "prepareSandboxInfra", "cleanSandboxInfra", "cleanupSubnets", "catalog",
              "saveApp", "findSavedApp", "deleteSavedApp"]


def log(*parts):
    print("filecloud:", *parts, file=sys.stderr, flush=True)


class Cloud:
    """The JSON file, read and written under an exclusive lock for each operation."""

    def __enter__(self):
        path = SETTINGS.get("stateFile", ".filecloud.json")
        self.lock = open(path + ".lock", "w")
        fcntl.flock(self.lock, fcntl.LOCK_EX)
        self.path = path
        try:
            with open(path) as f:
                self.data = json.load(f)
        except FileNotFoundError:
            self.data = {"vms": {}, "infra": {}}
        return self

    def __exit__(self, kind, value, tb):
        if kind is None:
            with open(self.path + ".tmp", "w") as f:
                json.dump(self.data, f, indent=1, sort_keys=True)
                f.flush()
                os.fsync(f.fileno())
            os.replace(self.path + ".tmp", self.path)
        self.lock.close()

    def vm_by_uid(self, uid):
        return next((vm for vm in self.data["vms"].values() if vm["uid"] == uid), None)

    def free_ip(self, network, excluded=()):
        used = {vm["ip"] for vm in self.data["vms"].values()}
        for host in ipaddress.ip_network(network).hosts():
            if str(host) not in used and not any(host in ipaddress.ip_network(x) for x in excluded):
                if int(host) & 0xFF > 1:
                    return str(host)
        raise RuntimeError("no free address in " + network)


def observation(vm):
    if vm is None:
        return None
    return {"vmName": vm["name"], "vmUuid": vm["uid"], "exists": True, "power": "on" if vm["status"] == "running" else "off",
            "privateIp": vm["ip"], "publicIp": vm.get("publicIp", ""), "vlans": sorted(int(v) for v in vm["vlans"]),
            "subnets": vm["subnets"], "appName": vm["app"], "sandbox": vm["sandbox"]}


def attrs(items):
    return {a["attributeName"]: a["attributeValue"] for a in items or []}


def deploy(p):
    actions = p["driverRequest"]["actions"]
    app = next(a for a in actions if a["type"] == "deployApp")
    subnets = [a for a in actions if a["type"] == "connectSubnet"]
    params = app["actionParams"]
    with Cloud() as cloud:
        if p["vmName"] in cloud.data["vms"]:
            raise RuntimeError("a VM named %s already exists" % p["vmName"])
        infra = cloud.data["infra"].get(p["sandbox"])
        if SETTINGS.get("connectivity", "L2") == "L3":
            if infra is None:
                raise RuntimeError("the sandbox infrastructure is not prepared")
            for s in subnets:
                if s["actionParams"]["subnetId"] not in infra["subnets"]:
                    raise RuntimeError("subnet %s is not prepared" % s["actionParams"]["subnetId"])
        if subnets:
            ip = cloud.free_ip(subnets[0]["actionParams"]["cidr"])
        elif infra:
            ip = cloud.free_ip(infra["cidr"], [s["cidr"] for s in infra["subnets"].values()])
        else:
            ip = cloud.free_ip(SETTINGS.get("cidr", "10.80.0.0/16"))
        vm = {"name": p["vmName"], "uid": str(uuid.uuid4()), "app": params["appName"], "sandbox": p["sandbox"],
              "status": "stopped", "ip": ip, "vlans": {}, "subnets": [s["actionParams"]["subnetId"] for s in subnets],
              "deploymentPath": params["deployment"]["deploymentPath"]}
        image = attrs(params["deployment"]["attributes"]).get("Image")
        if image:
            vm["image"] = image
        cloud.data["vms"][vm["name"]] = vm
    log("deployed", vm["name"], ip)
    results = [{"type": "DeployApp", "actionId": app["actionId"], "success": True, "infoMessage": "", "errorMessage": "",
                "vmUuid": vm["uid"], "vmName": vm["name"], "deployedAppAddress": ip,
                "deployedAppAttributes": [{"attributeName": "User", "attributeValue": attrs(params["appResource"]["attributes"]).get("User", "admin")}],
                "deployedAppAdditionalData": {"createdBy": "filecloud", "auto_delete": True},
                "vmDetailsData": {"vmInstanceData": [{"key": "Deployment", "value": vm["deploymentPath"], "hidden": False}],
                                  "vmNetworkData": [], "appName": vm["app"], "errorMessage": ""}}]
    results += [{"type": "ConnectToSubnet", "actionId": s["actionId"], "success": True, "infoMessage": "", "errorMessage": "",
                 "interface": "eth%d" % i} for i, s in enumerate(subnets)]
    return {"driverResponse": {"actionResults": results}}


def set_power(p, status):
    with Cloud() as cloud:
        vm = cloud.vm_by_uid(p["deployedAppJson"]["vmdetails"]["uid"])
        if vm is None:
            raise RuntimeError("VM %s does not exist" % p["deployedAppJson"]["name"])
        vm["status"] = status
    return None


def refresh_ip(p):
    with Cloud() as cloud:
        vm = cloud.vm_by_uid(p["deployedAppJson"]["vmdetails"]["uid"])
        if vm is None or vm["status"] != "running":
            raise RuntimeError("VM %s is not powered on" % p["deployedAppJson"]["name"])
        return {"privateIp": vm["ip"], "publicIp": vm.get("publicIp", "")}


def delete(p):
    with Cloud() as cloud:
        vm = cloud.vm_by_uid(p["deployedAppJson"]["vmdetails"]["uid"])
        if vm is not None:
            del cloud.data["vms"][vm["name"]]
    return None


def observe(p):
    with Cloud() as cloud:
        result = []
        for item in p["items"]:
            app = item["deployedAppJson"]
            vm = cloud.vm_by_uid(app["vmdetails"]["uid"])
            result.append(observation(vm) or {"vmName": app["name"], "vmUuid": app["vmdetails"]["uid"], "exists": False})
        return result


def apply_connectivity(p):
    results = []
    with Cloud() as cloud:
        for a in p["driverRequest"]["actions"]:
            vm = cloud.vm_by_uid(attrs(a["customActionAttributes"])["VM_UUID"])
            vlan = a["connectionParams"]["vlanId"]
            if isinstance(vlan, list):  # older CloudShell fixtures send ["2"]
                vlan = vlan[0]
            result = {"type": a["type"], "actionId": a["actionId"], "success": True, "infoMessage": "", "errorMessage": "", "updatedInterface": ""}
            if a["type"] == "setVlan":
                if vm is None:
                    result.update(success=False, errorMessage="VM does not exist")
                else:
                    vm["vlans"][vlan] = result["updatedInterface"] = "%s/vlan%s" % (vm["name"], vlan)
            elif vm is not None:
                vm["vlans"].pop(vlan, None)
            results.append(result)
    return {"driverResponse": {"actionResults": results}}


def prepare(p):
    results = []
    with Cloud() as cloud:
        infra = cloud.data["infra"].setdefault(p["sandbox"], {"networkId": "net-" + uuid.uuid4().hex[:8],
                                                              "cidr": SETTINGS.get("cidr", "10.80.0.0/16"), "subnets": {}, "keys": ""})
        for a in p["driverRequest"]["actions"]:
            result = {"actionId": a["actionId"], "success": True, "infoMessage": "", "errorMessage": ""}
            if a["type"] == "prepareCloudInfra":
                infra["cidr"] = a["actionParams"]["cidr"]
                result.update(type="PrepareNetwork", networkId=infra["networkId"])
            elif a["type"] == "prepareSubnet":
                params = a["actionParams"]
                found = [i for i, s in infra["subnets"].items() if s["name"] == params["alias"] and s["cidr"] == params["cidr"]]
                subnet_id = found[0] if found else "subnet-" + uuid.uuid4().hex[:8]
                infra["subnets"][subnet_id] = {"name": params["alias"], "cidr": params["cidr"], "public": params["isPublic"]}
                result.update(type="PrepareSubnet", subnetId=subnet_id)
            elif a["type"] == "createKeys":
                infra["keys"] = infra["keys"] or "ssh-ed25519 " + uuid.uuid4().hex
                result.update(type="CreateKeys", accessKey=infra["keys"])
            results.append(result)
    return {"driverResponse": {"actionResults": results}}


def clean(p):
    results = []
    with Cloud() as cloud:
        for a in p["driverRequest"]["actions"]:
            if a["type"] == "cleanupNetwork":
                cloud.data["infra"].pop(p["sandbox"], None)
            results.append({"type": "CleanupNetwork", "actionId": a["actionId"], "success": True, "infoMessage": "", "errorMessage": ""})
    return {"driverResponse": {"actionResults": results}}


def cleanup_subnets(p):
    """Firm's own addition (capability cleanupSubnets): remove some subnets; gone ones are fine."""
    with Cloud() as cloud:
        infra = cloud.data["infra"].get(p["sandbox"])
        for subnet_id in p["subnetIds"]:
            if any(subnet_id in vm["subnets"] for vm in cloud.data["vms"].values()):
                raise RuntimeError("subnet %s still has VMs on it" % subnet_id)
            if infra is not None:
                infra["subnets"].pop(subnet_id, None)
    return None


def find_by_name(p):
    with Cloud() as cloud:
        return observation(cloud.data["vms"].get(p["vmName"]))


def inventory(p):
    with Cloud() as cloud:
        return [observation(vm) for vm in cloud.data["vms"].values() if vm["sandbox"] == p["sandbox"]]


# What filecloud offers, in Deltacloud's terms (docs/catalog.md); settings.catalog replaces it.
CATALOG = {
    "hardwareProfiles": [
        {"name": "file.small", "architecture": "x86_64", "cpu": 1, "memoryMiB": 512, "storageGiB": 1},
        {"name": "file.flex", "architecture": "x86_64", "cpu": {"min": 1, "max": 8, "step": 1}, "memoryMiB": [512, 1024, 2048],
         "storageGiB": {"min": 1, "max": 100, "step": 1}},
    ],
    "images": [{"id": "file-base", "name": "An empty file VM", "owner": "filecloud", "architecture": "x86_64", "state": "available"}],
    "realms": [{"id": "local", "name": "This machine", "state": "available"}],
}


def catalog(p):
    return SETTINGS.get("catalog", CATALOG)


def saved_result(action_id, image):
    """A SaveAppResult: the image as the artifact, and the deployment attribute Image to deploy from it."""
    return {"type": "SaveApp", "actionId": action_id, "success": True, "infoMessage": "", "errorMessage": "",
            "artifacts": [{"artifactRef": image["id"], "artifactName": "image"}],
            "savedEntityAttributes": [{"attributeName": "Image", "attributeValue": image["id"]}],
            "saveDeploymentModel": image["deploymentPath"], "additionalData": []}


def save_app(p):
    """CloudShell's SaveApp: an image of the VM, named for the sandbox and snapshot (one per pair)."""
    action = p["driverRequest"]["actions"][0]
    params = action["actionParams"]
    if "saveResult" in SETTINGS:  # a test's hostile answer (JSON text), in place of the SaveAppResult
        return {"driverResponse": {"actionResults": [dict(json.loads(SETTINGS["saveResult"]), actionId=action["actionId"])]}}
    with Cloud() as cloud:
        images = cloud.data.setdefault("images", {})
        image = next((i for i in images.values() if i["sandbox"] == p["sandbox"] and i["snapshot"] == p["snapshot"]), None)
        if image is None:
            vm = cloud.vm_by_uid(params["sourceVmUuid"])
            if vm is None:
                raise RuntimeError("VM %s does not exist" % params["sourceVmUuid"])
            image = {"id": "fileimg-" + uuid.uuid4().hex[:8], "sandbox": p["sandbox"], "snapshot": p["snapshot"],
                     "app": params["sourceAppName"], "vm": vm["name"], "deploymentPath": params["saveDeploymentModel"]}
            images[image["id"]] = image
    log("saved", p["snapshot"], "as", image["id"])
    return {"driverResponse": {"actionResults": [saved_result(action["actionId"], image)]}}


def find_saved_app(p):
    if "findError" in SETTINGS:  # a test's failing image API, in place of the answer
        raise RuntimeError(SETTINGS["findError"])
    with Cloud() as cloud:
        image = next((i for i in cloud.data.get("images", {}).values() if i["sandbox"] == p["sandbox"] and i["snapshot"] == p["snapshot"]), None)
    return {"found": None if image is None else saved_result("", image)}


def delete_saved_app(p):
    action = p["driverRequest"]["actions"][0]
    refs = [a["artifactRef"] for a in action["actionParams"]["artifacts"]]
    with Cloud() as cloud:
        for ref in refs:
            cloud.data.setdefault("images", {}).pop(ref, None)
    return {"driverResponse": {"actionResults": [{"type": "DeleteSavedApp", "actionId": action["actionId"], "success": True,
                                                  "infoMessage": "", "errorMessage": ""}]}}


def initialize(p):
    SETTINGS.clear()
    SETTINGS.update(p.get("settings", {}))
    log("started for provider", p.get("provider"), "sandbox", p.get("sandbox"))
    return {"name": "filecloud", "version": "1.1", "connectivity": SETTINGS.get("connectivity", "L2"), "operations": OPERATIONS,
            "capabilities": {"vmNames": "given", "cleanupSubnets": True, "refreshIPAddresses": True}}


METHODS = {"initialize": initialize, "deploy": deploy, "powerOn": lambda p: set_power(p, "running"),
           "powerOff": lambda p: set_power(p, "stopped"), "refreshIP": refresh_ip, "delete": delete,
           "observe": observe, "findByName": find_by_name, "inventory": inventory, "applyConnectivityChanges": apply_connectivity,
           "prepareSandboxInfra": prepare, "cleanSandboxInfra": clean, "cleanupSubnets": cleanup_subnets, "catalog": catalog,
           "saveApp": save_app, "findSavedApp": find_saved_app, "deleteSavedApp": delete_saved_app}


def handle(request):
    """One JSON-RPC request in, one response out (None for a notification such as $/cancel)."""
    if "id" not in request:
        return None
    method = METHODS.get(request.get("method"))
    if method is None:
        return {"jsonrpc": "2.0", "id": request["id"], "error": {"code": -32601, "message": "unknown method %s" % request.get("method")}}
    try:
        return {"jsonrpc": "2.0", "id": request["id"], "result": method(request.get("params", {}))}
    except Exception as error:  # every failure goes back to Firmament as a JSON-RPC error
        log("error in", request["method"], error)
        return {"jsonrpc": "2.0", "id": request["id"], "error": {"code": -32000, "message": str(error)}}


def main():
    for line in sys.stdin:
        if line.strip():
            response = handle(json.loads(line))
            if response is not None:
                sys.stdout.write(json.dumps(response) + "\n")
                sys.stdout.flush()


if __name__ == "__main__":
    main()
