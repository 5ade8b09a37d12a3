#!/usr/bin/env python3
"""moto's server, with two behaviours of real EC2 that moto 5.2.x lacks. TEST STAND-IN ONLY.

    python moto_ec2_standin.py [moto_server's arguments]

Quali's AWS shell (cloudshell-cp-aws) needs both to clean a sandbox up; the shell is never
changed to suit moto. Each addition stands in for what real EC2 does, and nothing more:

1. DescribeTrafficMirrorSessions: moto 5.2.1 has no handler for it and answers HTTP 500. Here
   it answers with the sessions that exist; moto 5.2.1 can't create any (the API came with
   getmoto/moto#10207, merged after 5.2.3; 5.2.6 has it), so that is always an empty set, as
   EC2 answers for an account without them.
2. DeleteSubnet: EC2 removes the subnet's route-table associations with the subnet (they do
   not exist apart from it). moto (up to 5.2.6, the newest checked) keeps them, so the
   following DeleteRouteTable answers DependencyViolation and the VPC can't be deleted. Here
   the associations go with the subnet.

Checked against moto 5.2.6: it answers DescribeTrafficMirrorSessions, and still keeps a
deleted subnet's associations. scripts/test pins moto 5.2.1.
"""
import sys

from moto.ec2.models.subnets import SubnetBackend
from moto.ec2.responses.traffic_mirrors import TrafficMirrors
from moto.server import main

_delete_subnet = SubnetBackend.delete_subnet


def delete_subnet(self, subnet_id):
    """EC2's DeleteSubnet: the subnet's route-table associations go with it."""
    subnet = _delete_subnet(self, subnet_id)
    for table in getattr(self, "route_tables", {}).values():
        for association_id, target in list(table._associations.items()):
            if target == subnet_id:
                del table._associations[association_id]
    return subnet


def describe_traffic_mirror_sessions(self):
    """EC2's DescribeTrafficMirrorSessions for an account with no session (moto 5.2.1 can't make one)."""
    return ('<DescribeTrafficMirrorSessionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
            "<requestId>firm-standin</requestId><trafficMirrorSessionSet/></DescribeTrafficMirrorSessionsResponse>")


SubnetBackend.delete_subnet = delete_subnet
if not hasattr(TrafficMirrors, "describe_traffic_mirror_sessions"):
    TrafficMirrors.describe_traffic_mirror_sessions = describe_traffic_mirror_sessions

if __name__ == "__main__":
    main(sys.argv[1:])
