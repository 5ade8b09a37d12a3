#!/usr/bin/env python3
"""Changes the sample file cloud behind firm's back, as a person at the cloud's console would.

Usage: filecloud_oob.py STATEFILE (delete|off) VMNAME_PREFIX | STATEFILE dump"""
import json, os, sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "examples", "cloudshell-host", "sample-shell"))
from filecloud_sdk import FileCloud  # noqa: E402

cloud = FileCloud(sys.argv[1])
if sys.argv[2] == "dump":
    print(json.dumps({"vms": cloud.list_vms()}))
    sys.exit(0)
vm = next(vm for vm in cloud.list_vms() if vm["name"].startswith(sys.argv[3]))
if sys.argv[2] == "delete":
    cloud.delete_vm(vm["uid"])
else:
    cloud.set_power(vm["uid"], "off")
print(vm["name"])
