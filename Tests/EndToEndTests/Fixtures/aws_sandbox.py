#!/usr/bin/env python3
"""What the AWS shell's end-to-end test does to moto behind firm's back, with boto3 (from the
shell's own venv). The endpoint and credentials come from AWS_ENDPOINT_URL,
AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; the region is us-east-1.

    aws_sandbox.py seed BUCKET        CloudShell's AWS set-up: a management VPC, its security
                                      group and the key-pair bucket; prints {"vpc", "sg", "cidr"}
    aws_sandbox.py terminate NAME     TerminateInstances of the live instance named NAME
    aws_sandbox.py stop NAME          StopInstances of it
    aws_sandbox.py instances          the live instances: [{"id", "name", "state", "tags"}]
    aws_sandbox.py held MGMT_VPC BUCKET
                                      everything moto holds beyond the seed and its defaults:
                                      {"instances", "vpcs", "subnets", "securityGroups",
                                       "keyPairs", "keyFiles", "addresses", "routeTables"}
"""
import json
import sys

import boto3

REGION = "us-east-1"


def ec2():
    return boto3.client("ec2", region_name=REGION)


def s3():
    return boto3.client("s3", region_name=REGION)


def live_instances():
    found = []
    for reservation in ec2().describe_instances()["Reservations"]:
        for i in reservation["Instances"]:
            if i["State"]["Name"] in ("terminated", "shutting-down"):
                continue
            tags = {t["Key"]: t["Value"] for t in i.get("Tags", [])}
            found.append({"id": i["InstanceId"], "name": tags.get("Name", ""), "state": i["State"]["Name"], "tags": tags})
    return found


def by_name(name):
    matches = [i for i in live_instances() if i["name"] == name]
    if len(matches) != 1:
        raise SystemExit(f"aws_sandbox.py: {len(matches)} live instances are named {name!r}")
    return matches[0]["id"]


def seed(bucket):
    client = ec2()
    cidr = "10.0.0.0/24"
    vpc = client.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    client.create_tags(Resources=[vpc], Tags=[{"Key": "Name", "Value": "CloudShell Management VPC"}])
    sg = client.create_security_group(GroupName="cloudshell-management", Description="CloudShell management", VpcId=vpc)["GroupId"]
    s3().create_bucket(Bucket=bucket)
    print(json.dumps({"vpc": vpc, "sg": sg, "cidr": cidr}))


def held(mgmt_vpc, bucket):
    client = ec2()
    default_vpcs = {v["VpcId"] for v in client.describe_vpcs()["Vpcs"] if v.get("IsDefault")}
    kept = default_vpcs | {mgmt_vpc}
    vpcs = [v["VpcId"] for v in client.describe_vpcs()["Vpcs"] if v["VpcId"] not in kept]
    subnets = [s["SubnetId"] for s in client.describe_subnets()["Subnets"] if s["VpcId"] not in kept]
    groups = [g["GroupId"] for g in client.describe_security_groups()["SecurityGroups"] if g.get("VpcId") not in kept]
    tables = [t["RouteTableId"] for t in client.describe_route_tables()["RouteTables"] if t["VpcId"] not in kept]
    keys = [k["KeyName"] for k in client.describe_key_pairs()["KeyPairs"]]
    files = [o["Key"] for o in s3().list_objects_v2(Bucket=bucket).get("Contents", [])]
    addresses = [a.get("AllocationId") or a.get("PublicIp") for a in client.describe_addresses()["Addresses"]]
    print(json.dumps({"instances": [i["id"] for i in live_instances()], "vpcs": vpcs, "subnets": subnets, "securityGroups": groups,
                      "keyPairs": keys, "keyFiles": files, "addresses": addresses, "routeTables": tables}))


def main(argv):
    if len(argv) < 2:
        raise SystemExit(__doc__)
    command, args = argv[1], argv[2:]
    if command == "seed":
        seed(*args)
    elif command == "terminate":
        ec2().terminate_instances(InstanceIds=[by_name(*args)])
    elif command == "stop":
        ec2().stop_instances(InstanceIds=[by_name(*args)])
    elif command == "instances":
        print(json.dumps(live_instances()))
    elif command == "held":
        held(*args)
    else:
        raise SystemExit(f"aws_sandbox.py: unknown command {command!r}\n{__doc__}")


if __name__ == "__main__":
    main(sys.argv)
