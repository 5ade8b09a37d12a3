#!/usr/bin/env python3
"""Parses each ApplyConnectivityChanges request recorded in requests.jsonl with Quali's
cloudshell-shell-connectivity-flow, as cp-vcenter does, and prints one JSON line per action.
Any request the library rejects makes this exit non-zero."""
import json, sys
from cloudshell.shell.flows.connectivity.parse_request_service import ParseConnectivityRequestService

service = ParseConnectivityRequestService(is_vlan_range_supported=True, is_multi_vlan_supported=True)
for line in open(sys.argv[1]):
    request = json.loads(line)
    if request.get("method") != "applyConnectivityChanges":
        continue
    for action in service.get_actions(json.dumps(request["params"])):
        print(json.dumps({"type": action.type.value, "actionId": action.action_id, "vlan": action.connection_params.vlan_id,
                          "mode": action.connection_params.mode.value, "vmUuid": action.custom_action_attrs.vm_uuid,
                          "interface": action.connector_attrs.interface, "target": action.action_target.name}))
