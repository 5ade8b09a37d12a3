#!/usr/bin/env python3
"""Hands each request of one method, recorded in requests.jsonl, to Quali's own parser for it,
as 2nd-gen shells do, and prints one JSON line per parsed request (per action for
applyConnectivityChanges). Any request the library rejects makes this exit non-zero.

Usage: parse_with_cloudshell.py METHOD requests.jsonl"""
import json, sys


def deploy(params):
    from cloudshell.cp.core.request_actions import DeployVMRequestActions
    actions = DeployVMRequestActions.from_request(json.dumps(params))
    app = actions.deploy_app
    yield {
        "appName": app.actionParams.appName,
        "deploymentPath": app.actionParams.deployment.deploymentPath,
        "attributes": app.attributes,
        "subnets": [s.actionParams.subnetId for s in actions.connect_subnets],
        "subnetAttributes": [{a.attributeName: a.attributeValue for a in s.actionParams.subnetServiceAttributes} for s in actions.connect_subnets],
    }


def prepare(params):
    from cloudshell.cp.core.request_actions import PrepareSandboxInfraRequestActions
    actions = PrepareSandboxInfraRequestActions.from_request(json.dumps(params))
    yield {
        "cloud": actions.sandbox_cidr if actions.prepare_cloud_infra else None,
        "createKeys": actions.create_keys is not None,
        "subnets": sorted(s.actionParams.alias for s in actions.prepare_subnets),
        "cidrs": sorted(s.actionParams.cidr for s in actions.prepare_subnets),
    }


def connectivity(params):
    from cloudshell.shell.flows.connectivity.parse_request_service import ParseConnectivityRequestService
    service = ParseConnectivityRequestService(is_vlan_range_supported=True, is_multi_vlan_supported=True)
    for action in service.get_actions(json.dumps(params)):
        yield {"type": action.type.value, "actionId": action.action_id, "vlan": action.connection_params.vlan_id,
               "mode": action.connection_params.mode.value, "vmUuid": action.custom_action_attrs.vm_uuid,
               "interface": action.connector_attrs.interface, "target": action.action_target.name}


class API:
    """Stands in for CloudShell's API where cp-core calls it: DecryptPassword."""
    class Value:
        def __init__(self, value):
            self.Value = value

    def DecryptPassword(self, encrypted):
        return API.Value(encrypted)


def registered_models():
    """A deployment-path model registered as shells do, to see that cp-core picks it."""
    from cloudshell.cp.core.request_actions import DeployedVMActions
    from cloudshell.cp.core.request_actions.models import DeployedApp

    class Registered(DeployedApp):
        DEPLOYMENT_PATH = "Conformance.Deployment"
    DeployedVMActions.register_deployment_path(Registered)
    return Registered


def deployed(app, registered):
    return {"name": app.name, "family": app.family, "model": app.model, "address": app.private_ip, "user": app.user,
            "password": app.password, "publicIp": app.public_ip, "uid": app.vmdetails.uid,
            "customParams": {p["name"]: p["value"] for p in app.vmdetails.vm_custom_params},
            "deploymentModel": app.deployment_service_model, "registered": isinstance(app, registered), "attributes": app.attributes}


def deployed_app(params):
    from cloudshell.cp.core.request_actions import DeployedVMActions
    registered = registered_models()
    # As shells receive them: app_request_json and deployed_app_json are JSON strings.
    actions = DeployedVMActions.from_data(json.loads(json.dumps(params["appRequestJson"])), json.loads(json.dumps(params["deployedAppJson"])), API())
    yield deployed(actions.deployed_app, registered)


def vm_details(params):
    from cloudshell.cp.core.request_actions import GetVMDetailsRequestActions
    registered = registered_models()
    actions = GetVMDetailsRequestActions.from_request(json.dumps({"items": params["items"]}), API())
    for app in actions.deployed_apps:
        yield deployed(app, registered)


def cleanup(params):
    from cloudshell.cp.core.request_actions import CleanupSandboxInfraRequestActions
    actions = CleanupSandboxInfraRequestActions.from_request(json.dumps(params))
    yield {"cleanupNetwork": actions.cleanup_network.actionId}


def save_restore(params):
    from cloudshell.cp.core.request_actions.save_restore_app import SaveRestoreRequestActions
    actions = SaveRestoreRequestActions.from_request(json.dumps(params))
    for a in actions.save_app_actions:
        p = a.actionParams
        yield {"type": "SaveApp", "actionId": a.actionId, "saveDeploymentModel": p.saveDeploymentModel, "savedSandboxId": p.savedSandboxId,
               "sourceVmUuid": p.sourceVmUuid, "sourceAppName": p.sourceAppName,
               "deploymentPathAttributes": {x.attributeName: x.attributeValue for x in p.deploymentPathAttributes}}
    for a in actions.delete_saved_app_actions:
        p = a.actionParams
        yield {"type": "DeleteSavedApp", "actionId": a.actionId, "savedSandboxId": p.savedSandboxId, "savedAppName": p.savedAppName,
               "artifacts": {x.artifactName: x.artifactRef for x in p.artifacts}}


PARSERS = {"deploy": deploy, "prepareSandboxInfra": prepare, "applyConnectivityChanges": connectivity, "powerOn": deployed_app,
           "powerOff": deployed_app, "refreshIP": deployed_app, "delete": deployed_app, "observe": vm_details, "cleanSandboxInfra": cleanup,
           "saveApp": save_restore, "deleteSavedApp": save_restore}

method, path = sys.argv[1], sys.argv[2]
for line in open(path):
    request = json.loads(line)
    if request.get("method") == method:
        for parsed in PARSERS[method](request["params"]):
            print(json.dumps(parsed))
