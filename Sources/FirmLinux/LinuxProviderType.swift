import FirmBase
import FirmModel

/// `"type": "linux"`: apps as network namespaces on this machine; L2 VLANs as bridges, or L3
/// subnets behind a router namespace.
public struct LinuxProviderType: ProviderType {
    public let name = "linux"
    public let connectivities: [Connectivity] = [.l2, .l3]
    public let defaultLimits = LinuxProvider.defaultLimits
    public let entryFields: [ObjectShape.Field] = []
    public var settingsShape: JSONShape { .object(LinuxSettings.shape) }
    public var deploymentShape: ObjectShape? { LinuxDeployment.shape }

    public init() {}

    public func decodeEntry(_ fields: JSONFields, _ path: JSONPath, _ spec: inout ProviderSpec, _ context: inout DecodingContext) -> Bool {
        true
    }

    public func checkSettings(_ node: JSONNode, _ path: JSONPath, apps: [String: AppSpec], _ context: inout DecodingContext) {
        _ = LinuxSettings.decode(node, path, &context)
    }

    public var checksDeploymentPaths: Bool { true }

    public func checkDeploymentPath(_ deployment: DeploymentPath, _ path: JSONPath, _ context: inout DecodingContext) {
        LinuxDeployment.check(deployment, path, &context)
    }

    /// L3: the subnets lie within `cidr`. (L2 carves each VLAN's subnet from it instead.)
    public func cloudCIDR(_ spec: ProviderSpec) -> CIDR? { spec.connectivity == .l3 ? LinuxSettings(spec.settings).cidr : nil }

    /// L3: there is no default subnet to put an unconnected app on.
    public var appsNeedSubnet: Bool { true }

    public func vlanRange(_ spec: ProviderSpec) -> ClosedRange<Int> { LinuxSettings(spec.settings).vlanRange }

    public func make(_ context: ProviderContext) throws(ProviderError) -> any CloudProvider {
        LinuxProvider(name: context.name, sandbox: context.sandbox, settings: LinuxSettings(context.spec.settings), baseDirectory: context.baseDirectory,
                      connectivity: context.spec.connectivity, log: context.driverLog)
    }

    /// `ip netns exec NAMESPACE COMMAND…`, for an app whose recorded uuid is one of the
    /// sandbox's namespaces (a state edited to name any other namespace is refused).
    public func execArguments(_ context: ProviderContext, app: AppState, command: [String]) throws(ProviderError) -> [String]? {
        let names = LinuxNames(prefix: LinuxSettings(context.spec.settings).prefix, sandbox: context.sandbox)
        guard names.appKey(ofNamespace: app.vmUuid) != nil else {
            throw ProviderError(provider: context.name, operation: "exec",
                                message: "the state records VM \(quoted(app.vmName)) as \(quoted(String(app.vmUuid.prefix(64)))), which is not a namespace of sandbox \(quoted(context.sandbox)) (expected \(names.sandboxSwitch)-XXXXXXXX)")
        }
        guard let ip = LinuxKernel.locate() else { throw LinuxProvider.missingIP(provider: context.name, operation: "exec") }
        return [ip, "netns", "exec", app.vmUuid] + command
    }
}
