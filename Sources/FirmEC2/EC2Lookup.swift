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

    /// The sandbox's VPC: the first whose own tag names the sandbox. EC2's filter asks for just
    /// those, but an endpoint that ignores it would answer every VPC of the account, the default
    /// one first, and a clean-up would then delete what is not the sandbox's.
    func vpc() async throws -> String? {
        try await client.call("DescribeVpcs", EC2Tags.filters([("tag:\(EC2Tags.sandbox)", sandbox)]), operation: operation)
            .items("vpcSet").first { EC2Tags.belongs($0, to: sandbox) }?.value("vpcId")
    }

    func securityGroup(vpc: String) async throws -> String? {
        let name = Self.name(sandbox)
        return try await client.call("DescribeSecurityGroups", EC2Tags.filters([("vpc-id", vpc), ("group-name", name)]), operation: operation)
            .items("securityGroupInfo").first { $0.value("vpcId") == vpc && $0.value("groupName") == name }?.value("groupId")
    }

    /// The key pair's name, when it exists.
    func keyPair() async throws -> String? {
        let name = Self.name(sandbox)
        return try await client.call("DescribeKeyPairs", EC2Tags.filters([("key-name", name)]), operation: operation)
            .items("keySet").first { $0.value("keyName") == name }?.value("keyName")
    }
}
