import FirmBase
import FirmModel

/// `"type": "ec2"`: Amazon EC2 over the EC2 Query API (docs/providers/ec2.md).
public struct EC2ProviderType: ProviderType {
    public let name = "ec2"
    public let connectivities: [Connectivity] = [.l3]
    /// EC2 throttles by request rate per account; retries with backoff absorb it. 50 calls in
    /// flight keep a large apply busy without tripping it on its own.
    public let defaultLimits = ProviderLimits(retries: 6, concurrency: 50)
    public let entryFields: [ObjectShape.Field] = []
    public var settingsShape: JSONShape { .object(EC2Settings.shape) }
    public var deploymentShape: ObjectShape? { EC2Deployment.shape }

    public init() {}

    public func decodeEntry(_ fields: JSONFields, _ path: JSONPath, _ spec: inout ProviderSpec, _ context: inout DecodingContext) -> Bool {
        true
    }

    public func checkSettings(_ node: JSONNode, _ path: JSONPath, apps: [String: AppSpec], _ context: inout DecodingContext) {
        EC2Settings.decode(node, path, &context)
    }

    public var checksDeploymentPaths: Bool { true }

    /// An instance is launched into a subnet: validate refuses an app connected to none.
    public var appsNeedSubnet: Bool { true }

    public func checkDeploymentPath(_ deployment: DeploymentPath, _ path: JSONPath, _ context: inout DecodingContext) {
        EC2Deployment.check(deployment, path, &context)
    }

    public func cloudCIDR(_ spec: ProviderSpec) -> CIDR? { EC2Settings(spec.settings).cidr }

    public func vlanRange(_ spec: ProviderSpec) -> ClosedRange<Int> { VLANRange.all }

    public func make(_ context: ProviderContext) throws(ProviderError) -> any CloudProvider {
        EC2Provider(name: context.name, sandbox: context.sandbox, settings: EC2Settings(context.spec.settings), environment: context.environment,
                    log: context.driverLog)
    }
}
