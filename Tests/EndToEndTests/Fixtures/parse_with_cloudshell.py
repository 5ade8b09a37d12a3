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


PARSERS = {"deploy": deploy, "prepareSandboxInfra": prepare, "applyConnectivityChanges": connectivity}

method, path = sys.argv[1], sys.argv[2]
for line in open(path):
    request = json.loads(line)
    if request.get("method") == method:
        for parsed in PARSERS[method](request["params"]):
            print(json.dumps(parsed))
