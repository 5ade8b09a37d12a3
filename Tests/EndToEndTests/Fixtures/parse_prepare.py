#!/usr/bin/env python3
"""Parses each PrepareSandboxInfra request recorded in requests.jsonl with Quali's
cloudshell-cp-core, as cp-aws does, and prints one JSON line per request. Any request the
library rejects makes this exit non-zero."""
import json, sys
from cloudshell.cp.core.request_actions import PrepareSandboxInfraRequestActions

for line in open(sys.argv[1]):
    request = json.loads(line)
    if request.get("method") != "prepareSandboxInfra":
        continue
    actions = PrepareSandboxInfraRequestActions.from_request(json.dumps(request["params"]))
    print(json.dumps({
        "cloud": actions.sandbox_cidr if actions.prepare_cloud_infra else None,
        "createKeys": actions.create_keys is not None,
        "subnets": sorted(s.actionParams.alias for s in actions.prepare_subnets),
        "cidrs": sorted(s.actionParams.cidr for s in actions.prepare_subnets),
    }))
