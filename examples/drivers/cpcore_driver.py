#!/usr/bin/env python3
"""cpcore_driver: a Firmament process driver written directly on Quali's cloudshell-cp-core and
cloudshell-shell-connectivity-flow, with no CloudShell around it. It parses firm's requests with
cp-core's own request actions, runs cp-core flows (the sample shell's, in
examples/cloudshell-host/sample-shell/filecloud_flows.py) and answers with cp-core's result
classes, unchanged. Run it with a python that has examples/cloudshell-host/requirements.txt.

It creates each VM under the name firm gives (capability vmNames "given"), tags it with the
sandbox and the app, and can clean up one subnet. Settings: stateFile (the sample cloud's file,
default .filecloud.json), cidr (default 10.70.0.0/16), connectivity (L2 or L3, default L2).
"""
import json
import logging
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cloudshell-host", "sample-shell"))

from cloudshell.cp.core.request_actions import (CleanupSandboxInfraRequestActions, DeployedVMActions,  # noqa: E402
                                                DeployVMRequestActions, GetVMDetailsRequestActions,
                                                PrepareSandboxInfraRequestActions)
from cloudshell.cp.core.request_actions.driver_response import DriverResponse  # noqa: E402
from cloudshell.cp.core.request_actions.models import Artifact, Attribute, DeleteSavedAppResult, SaveAppResult  # noqa: E402
from cloudshell.cp.core.request_actions.save_restore_app import SaveRestoreRequestActions  # noqa: E402
from cloudshell.shell.core.driver_context import CancellationContext  # noqa: E402
from cloudshell.shell.flows.connectivity.parse_request_service import ParseConnectivityRequestService  # noqa: E402

from filecloud_flows import CleanupFlow, ConnectivityFlow, DeployFlow, PrepareFlow  # noqa: E402
from filecloud_sdk import FileCloud, NotFound  # noqa: E402

logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="cpcore-driver: %(message)s")
LOGGER = logging.getLogger("cpcore-driver")
SETTINGS = {}
SANDBOX = [""]
CANCELLATIONS = {}  # JSON-RPC id -> CancellationContext
LOCK = threading.Lock()


class PlainPasswords:
    """cp-core decrypts passwords through the CloudShell API; firm sends them as they are."""

    class Value:
        def __init__(self, value):
            self.Value = value

    def DecryptPassword(self, encrypted):
        return PlainPasswords.Value(encrypted)


def cloud():
    return FileCloud(SETTINGS.get("stateFile", ".filecloud.json"))


def observation(vm):
    return {"vmName": vm["name"], "vmUuid": vm["uid"], "exists": True, "power": vm["power"], "privateIp": vm["ip"],
            "publicIp": vm["publicIp"], "vlans": sorted(int(v) for v in vm["vlans"]), "subnets": vm["subnets"],
            "appName": vm["tags"].get("App", ""), "sandbox": vm["tags"].get("ReservationId", "")}


def deployed_app(params):
    """The deployed app, read by cp-core exactly as a shell reads deployed_app_json."""
    return DeployedVMActions.from_data(params["appRequestJson"], params["deployedAppJson"], PlainPasswords()).deployed_app


def deploy(params, cancellation):
    actions = DeployVMRequestActions.from_request(json.dumps({"driverRequest": params["driverRequest"]}), PlainPasswords())
    flow = DeployFlow(LOGGER, cloud(), SETTINGS.get("cidr", "10.70.0.0/16"), params["sandbox"], cancellation,
                      name_vm=lambda app: params["vmName"])
    return json.loads(flow.deploy(actions))


def set_power(power):
    def run(params, cancellation):
        cloud().set_power(deployed_app(params).vmdetails.uid, power)
    return run


def refresh_ip(params, cancellation):
    vm = cloud().get_vm(deployed_app(params).vmdetails.uid)
    if vm["power"] != "on":
        raise RuntimeError("VM %s is not powered on" % vm["name"])
    return {"privateIp": vm["ip"], "publicIp": vm["publicIp"]}


def delete(params, cancellation):
    cloud().delete_vm(deployed_app(params).vmdetails.uid)


def observe(params, cancellation):
    apps = GetVMDetailsRequestActions.from_request(json.dumps({"items": params["items"]}), PlainPasswords()).deployed_apps
    result = []
    for app in apps:
        try:
            result.append(observation(cloud().get_vm(app.vmdetails.uid)))
        except NotFound:
            result.append({"vmName": app.name, "vmUuid": app.vmdetails.uid, "exists": False})
    return result


def find_by_name(params, cancellation):
    found = [vm for vm in cloud().list_vms() if vm["name"] == params["vmName"]]
    return observation(found[0]) if found else None


def inventory(params, cancellation):
    return [observation(vm) for vm in cloud().list_vms(ReservationId=params["sandbox"])]


def connectivity(params, cancellation):
    service = ParseConnectivityRequestService(is_vlan_range_supported=False, is_multi_vlan_supported=False)
    return json.loads(ConnectivityFlow(service, cloud()).apply_connectivity(json.dumps({"driverRequest": params["driverRequest"]})))


def prepare(params, cancellation):
    actions = PrepareSandboxInfraRequestActions.from_request(json.dumps({"driverRequest": params["driverRequest"]}))
    return json.loads(PrepareFlow(LOGGER, cloud(), params["sandbox"]).prepare(actions))


def cleanup(params, cancellation):
    actions = CleanupSandboxInfraRequestActions.from_request(json.dumps({"driverRequest": params["driverRequest"]}))
    return json.loads(CleanupFlow(LOGGER, cloud(), params["sandbox"]).cleanup(actions))


def cleanup_subnets(params, cancellation):
    for subnet_id in params["subnetIds"]:
        cloud().delete_subnet(params["sandbox"], subnet_id)


def save_app(params, cancellation):
    """SaveApp, parsed by cp-core's SaveRestoreRequestActions: an image per sandbox and snapshot."""
    results = []
    for action in SaveRestoreRequestActions.from_request(json.dumps({"driverRequest": params["driverRequest"]})).save_app_actions:
        p = action.actionParams
        image = cloud().save_image(p.sourceVmUuid, {"sandbox": params["sandbox"], "snapshot": params["snapshot"]})
        results.append(SaveAppResult(actionId=action.actionId, artifacts=[Artifact(artifactRef=image["id"], artifactName="image")],
                                     savedEntityAttributes=[Attribute(attributeName="Image", attributeValue=image["id"])],
                                     saveDeploymentModel=p.saveDeploymentModel))
    return json.loads(DriverResponse(results).to_driver_response_json())


def delete_saved_app(params, cancellation):
    results = []
    for action in SaveRestoreRequestActions.from_request(json.dumps({"driverRequest": params["driverRequest"]})).delete_saved_app_actions:
        for artifact in action.actionParams.artifacts:
            cloud().delete_image(artifact.artifactRef)
        results.append(DeleteSavedAppResult(actionId=action.actionId))
    return json.loads(DriverResponse(results).to_driver_response_json())


def initialize(params, cancellation):
    SETTINGS.clear()
    SETTINGS.update(params.get("settings", {}))
    SANDBOX[0] = params.get("sandbox", "")
    l3 = SETTINGS.get("connectivity", "L2") == "L3"
    operations = ["deploy", "powerOn", "powerOff", "refreshIP", "delete", "observe", "findByName", "inventory"]
    operations += ["prepareSandboxInfra", "cleanSandboxInfra", "cleanupSubnets"] if l3 else ["applyConnectivityChanges"]
    operations += ["saveApp", "deleteSavedApp"]
    return {"name": "cpcore-filecloud", "version": "1.0", "connectivity": "L3" if l3 else "L2", "operations": operations,
            "capabilities": {"vmNames": "given", "cleanupSubnets": True, "refreshIPAddresses": True}}


METHODS = {"initialize": initialize, "deploy": deploy, "powerOn": set_power("on"), "powerOff": set_power("off"),
           "refreshIP": refresh_ip, "delete": delete, "observe": observe, "findByName": find_by_name, "inventory": inventory,
           "applyConnectivityChanges": connectivity, "prepareSandboxInfra": prepare, "cleanSandboxInfra": cleanup,
           "cleanupSubnets": cleanup_subnets, "saveApp": save_app, "deleteSavedApp": delete_saved_app}
WRITE = threading.Lock()


def handle(message):
    request_id, method = message["id"], METHODS.get(message.get("method"))
    cancellation = CancellationContext()
    with LOCK:
        CANCELLATIONS[request_id] = cancellation
    try:
        if method is None:
            response = {"error": {"code": -32601, "message": "unknown method %s" % message.get("method")}}
        else:
            response = {"result": method(message.get("params") or {}, cancellation)}
    except Exception as error:  # every failure goes back to firm as a JSON-RPC error
        LOGGER.info("%s failed: %s", message.get("method"), error)
        response = {"error": {"code": -32000, "message": "%s: %s" % (type(error).__name__, error)}}
    finally:
        with LOCK:
            CANCELLATIONS.pop(request_id, None)
    with WRITE:
        sys.stdout.write(json.dumps(dict(response, jsonrpc="2.0", id=request_id)) + "\n")
        sys.stdout.flush()


def main():
    pool = ThreadPoolExecutor(max_workers=16)
    for line in sys.stdin:
        if not line.strip():
            continue
        message = json.loads(line)
        if message.get("method") == "$/cancel":
            with LOCK:
                cancellation = CANCELLATIONS.get((message.get("params") or {}).get("id"))
            if cancellation is not None:
                cancellation.is_cancelled = True
        elif "id" in message:
            pool.submit(handle, message)
    pool.shutdown(wait=True)


if __name__ == "__main__":
    main()
