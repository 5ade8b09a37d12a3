import Foundation
@testable import FirmBase
@testable import FirmEC2
import FirmTestSupport

extension MotoServer {
    /// The instances of a sandbox that are not terminated, by app tag.
    func instances(sandbox: String) throws -> [String: [EC2Instance]] {
        let answer = try ec2("DescribeInstances", [("Filter.1.Name", "tag:firm:sandbox"), ("Filter.1.Value.1", sandbox)])
        var byApp: [String: [EC2Instance]] = [:]
        for reservation in answer.items("reservationSet") {
            for item in reservation.items("instancesSet") {
                if let instance = EC2Instance(item), !instance.isGone { byApp[instance.tags["firm:app"] ?? "", default: []].append(instance) }
            }
        }
        return byApp
    }

    /// How many of each kind of sandbox resource are left (tagged with it, or named for it).
    func leftovers(sandbox: String) throws -> [String: Int] {
        let mine = [("Filter.1.Name", "tag:firm:sandbox"), ("Filter.1.Value.1", sandbox)]
        return [
            "instances": try instances(sandbox: sandbox).values.map(\.count).reduce(0, +),
            "vpcs": try ec2("DescribeVpcs", mine).items("vpcSet").count,
            "subnets": try ec2("DescribeSubnets", mine).items("subnetSet").count,
            "gateways": try ec2("DescribeInternetGateways", mine).items("internetGatewaySet").count,
            "groups": try ec2("DescribeSecurityGroups", [("Filter.1.Name", "group-name"), ("Filter.1.Value.1", "firm-\(sandbox)")]).items("securityGroupInfo").count,
            "keyPairs": try ec2("DescribeKeyPairs", [("Filter.1.Name", "key-name"), ("Filter.1.Value.1", "firm-\(sandbox)")]).items("keySet").count,
        ]
    }
}
