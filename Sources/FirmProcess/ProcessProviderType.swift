import FirmBase
import FirmModel

/// `"type": "process"`: a driver program in any language, over JSON-RPC.
public struct ProcessProviderType: ProviderType {
    public let name = "process"
    public let connectivities: [Connectivity] = [.l2, .l3]
    /// A driver may take many requests at once; 32 keeps a slow one from being flooded.
    public let defaultLimits = ProviderLimits(retries: 5, concurrency: 32)
    public var entryFields: [ObjectShape.Field] { ProcessProviderDecoder.entryFields }
    /// Resource attributes: text, numbers, booleans, or `{"env": NAME}`.
    public var settingsShape: JSONShape {
        .about("The driver's settings, sent in initialize.", .map(names: .string(), values: .anyOf([.string(), .number(), .boolean, .reference("env")])))
    }
    /// Any deployment path: the driver decides.
    public let deploymentShape: ObjectShape? = nil

    public init() {}

    public func decodeEntry(_ fields: JSONFields, _ path: JSONPath, _ spec: inout ProviderSpec, _ context: inout DecodingContext) -> Bool {
        ProcessProviderDecoder.decode(fields, path, &spec, &context)
    }

    public func checkSettings(_ node: JSONNode, _ path: JSONPath, apps: [String: AppSpec], _ context: inout DecodingContext) {
        ProcessProviderDecoder.checkSettings(node, path, &context)
    }

    /// The driver's own `cidr` setting when it has one (the reference driver does).
    public func cloudCIDR(_ spec: ProviderSpec) -> CIDR? {
        spec.settings["cidr"]?.stringValue.flatMap(CIDR.init)
    }

    /// The driver's own `vlanRange` setting when it has one, else every usable id.
    public func vlanRange(_ spec: ProviderSpec) -> ClosedRange<Int> {
        spec.settings["vlanRange"]?.stringValue.flatMap(VLANRange.parse) ?? VLANRange.all
    }

    public func make(_ context: ProviderContext) throws(ProviderError) -> any CloudProvider {
        ProcessDriver(name: context.name, spec: context.spec, sandbox: context.sandbox, baseDirectory: context.baseDirectory,
                      environment: context.environment, log: context.driverLog)
    }
}
