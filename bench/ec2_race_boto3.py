#!/usr/bin/env python3
"""The hand-written boto3 script that `firm-bench ec2-race` races firm against: what a careful
engineer would write to make and remove N instances in one VPC, with no state and no reconciling.

Usage: ec2_race_boto3.py ENDPOINT apply N THREADS STATE_FILE
       ec2_race_boto3.py ENDPOINT destroy STATE_FILE

apply makes a VPC, a subnet and a security group, then N instances from THREADS threads (one
RunInstances each, tagged in the call), and waits until every one runs with its private
address, polling DescribeInstances once a quarter second. It writes the ids to STATE_FILE.
destroy terminates every instance in one call, waits until all are terminated, then deletes
the security group, the subnet and the VPC. Credentials and the region come from the usual
AWS environment variables."""
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config
from botocore.parsers import ResponseParserError

AMI = "ami-1e749f67"


def client(endpoint):
    return boto3.client("ec2", endpoint_url=endpoint, config=Config(retries={"max_attempts": 10, "mode": "standard"}, max_pool_connections=64))


def retried(call, **parameters):
    """moto answers an occasional HTML 500 under concurrent load, which botocore does not
    retry (it fails to parse it): such a call is sent again, a few times."""
    for attempt in range(5):
        try:
            return call(**parameters)
        except ResponseParserError:
            if attempt == 4:
                raise
            time.sleep(0.1 * (attempt + 1))


def wait(ec2, ids, done):
    pending = set(ids)
    while pending:
        seen = {}
        try:
            for page in ec2.get_paginator("describe_instances").paginate(InstanceIds=sorted(pending)):
                for reservation in page["Reservations"]:
                    for instance in reservation["Instances"]:
                        seen[instance["InstanceId"]] = instance
        except ResponseParserError:
            time.sleep(0.25)
            continue
        pending = {i for i in pending if not done(seen.get(i))}
        if pending:
            time.sleep(0.25)


def apply(ec2, count, threads, state_file):
    vpc = ec2.create_vpc(CidrBlock="10.70.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.70.0.0/20")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(VpcId=vpc, GroupName="race", Description="race")["GroupId"]

    def launch(i):
        answer = retried(ec2.run_instances, ImageId=AMI, InstanceType="t3.micro", MinCount=1, MaxCount=1, SubnetId=subnet, SecurityGroupIds=[group],
                                   ClientToken="race-%d" % i,
                                   TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "vm%d" % i}]}])
        return answer["Instances"][0]["InstanceId"]

    with ThreadPoolExecutor(max_workers=threads) as pool:
        ids = list(pool.map(launch, range(count)))
    wait(ec2, ids, lambda i: i is not None and i["State"]["Name"] == "running" and i.get("PrivateIpAddress"))
    with open(state_file, "w") as f:
        json.dump({"vpc": vpc, "subnet": subnet, "group": group, "instances": ids}, f)


def destroy(ec2, state_file):
    with open(state_file) as f:
        state = json.load(f)
    ids = state["instances"]
    for start in range(0, len(ids), 1000):
        retried(ec2.terminate_instances, InstanceIds=ids[start:start + 1000])
    wait(ec2, ids, lambda i: i is None or i["State"]["Name"] == "terminated")
    ec2.delete_security_group(GroupId=state["group"])
    ec2.delete_subnet(SubnetId=state["subnet"])
    ec2.delete_vpc(VpcId=state["vpc"])


def main():
    endpoint, command = sys.argv[1], sys.argv[2]
    ec2 = client(endpoint)
    if command == "apply":
        apply(ec2, int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
    elif command == "destroy":
        destroy(ec2, sys.argv[3])
    else:
        sys.exit("unknown command %r: expected apply or destroy" % command)


if __name__ == "__main__":
    main()
