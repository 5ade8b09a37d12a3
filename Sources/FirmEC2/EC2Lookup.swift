import FirmBase
import FirmModel

/// Finds a sandbox's resources by their tags and names: what PrepareSandboxInfra looks for
/// before it makes anything, and what a deploy reads.
struct EC2Lookup {
    let client: EC2Client
    let sandbox: String
    let operation: String

    /// The name of the sandbox's security group and key pair, and the Name tag of what firm makes for it.
    static func name(_ sandbox: String) -> String { "firm-\(sandbox)" }

    func vpc() async throws -> String? {
        try await client.call("DescribeVpcs", EC2Tags.filters([("tag:\(EC2Tags.sandbox)", sandbox)]), operation: operation)
            .items("vpcSet").first?.value("vpcId")
    }

    func securityGroup(vpc: String) async throws -> String? {
        try await client.call("DescribeSecurityGroups", EC2Tags.filters([("vpc-id", vpc), ("group-name", Self.name(sandbox))]), operation: operation)
            .items("securityGroupInfo").first?.value("groupId")
    }

    /// The key pair's name, when it exists.
    func keyPair() async throws -> String? {
        try await client.call("DescribeKeyPairs", EC2Tags.filters([("key-name", Self.name(sandbox))]), operation: operation)
            .items("keySet").first?.value("keyName")
    }
}
