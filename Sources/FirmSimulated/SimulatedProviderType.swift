import FirmBase
import FirmModel

/// `"type": "simulated"`: the embedded simulated cloud.
public struct SimulatedProviderType: ProviderType {
    public let name = "simulated"
    public let connectivities: [Connectivity] = [.l2, .l3]
    public let defaultLimits = ProviderLimits(retries: 5)
    public let entryFields: [ObjectShape.Field] = []
    public var settingsShape: JSONShape { .object(SimulatedSettings.shape) }
    /// Any deployment path, checked against the catalog when a plan is made.
    public let deploymentShape: ObjectShape? = nil

    public init() {}

    public func decodeEntry(_ fields: JSONFields, _ path: JSONPath, _ spec: inout ProviderSpec, _ context: inout DecodingContext) -> Bool {
        true
    }

    public func checkSettings(_ node: JSONNode, _ path: JSONPath, apps: [String: AppSpec], _ context: inout DecodingContext) {
        _ = SimulatedSettings.decode(node, path, apps: apps, &context)
    }

    public func cloudCIDR(_ spec: ProviderSpec) -> CIDR? {
        spec.settings["cidr"] == nil ? nil : SimulatedSettings(spec.settings).cidr
    }

    public func vlanRange(_ spec: ProviderSpec) -> ClosedRange<Int> { SimulatedSettings(spec.settings).vlanRange }

    /// The means of the declared `latency` ranges.
    public func expectedMicroseconds(_ spec: ProviderSpec) -> [ProviderOperation: Int] {
        SimulatedSettings(spec.settings).latency.mapValues { Int((($0.low + $0.high) / 2).microseconds) }
    }

    public func make(_ context: ProviderContext) throws(ProviderError) -> any CloudProvider {
        try SimulatedCloud(name: context.name, settings: SimulatedSettings(context.spec.settings), connectivity: context.spec.connectivity,
                           baseDirectory: context.baseDirectory)
    }
}
