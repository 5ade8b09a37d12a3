#!/usr/bin/env python3
"""Parses each Deploy request recorded in requests.jsonl with Quali's cloudshell-cp-core, as
every 2nd-gen cloud provider shell does, and prints one JSON line per request. Any request the
library rejects makes this exit non-zero."""
import json, sys
from cloudshell.cp.core.request_actions import DeployVMRequestActions

for line in open(sys.argv[1]):
    request = json.loads(line)
    if request.get("method") != "deploy":
        continue
    actions = DeployVMRequestActions.from_request(json.dumps(request["params"]))
    app = actions.deploy_app
    print(json.dumps({
        "appName": app.actionParams.appName,
        "deploymentPath": app.actionParams.deployment.deploymentPath,
        "attributes": app.attributes,
        "subnets": [s.actionParams.subnetId for s in actions.connect_subnets],
        "subnetAttributes": [{a.attributeName: a.attributeValue for a in s.actionParams.subnetServiceAttributes} for s in actions.connect_subnets],
    }))
