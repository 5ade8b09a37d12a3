"""Power for Quali's AWS shell, which GetVmDetails does not report: host.py --power
examples/cloudshell-host/power/aws_ec2.py:power

One DescribeInstances for the VMs observed, with the provider's own region and keys (the
shell's "Region", "AWS Access Key ID", "AWS Secret Access Key" attributes) and boto3 from the
shell's venv; like the shell, it honours AWS_ENDPOINT_URL. Running and pending are "on",
stopped and stopping "off"; a VM EC2 does not list is left out (GetVmDetails says it is gone).
"""
import boto3

ON = {"pending": "on", "running": "on", "stopping": "off", "stopped": "off"}


def power(settings, uids):
    keys = {}
    if settings.get("AWS Access Key ID") and settings.get("AWS Secret Access Key"):
        keys = {"aws_access_key_id": settings["AWS Access Key ID"], "aws_secret_access_key": settings["AWS Secret Access Key"]}
    client = boto3.session.Session(region_name=settings.get("Region") or None, **keys).client("ec2")
    found = {}
    # Filtering by instance-id answers for the ids that exist, where InstanceIds fails the whole
    # call on one that does not.
    for page in client.get_paginator("describe_instances").paginate(Filters=[{"Name": "instance-id", "Values": list(uids)}]):
        for reservation in page["Reservations"]:
            for instance in reservation["Instances"]:
                state = ON.get(instance["State"]["Name"])
                if state:
                    found[instance["InstanceId"]] = state
    return found
