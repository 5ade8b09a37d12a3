import FirmBase

/// The provider operations, by the names used everywhere: the process protocol's JSON-RPC
/// methods, the keys of a process provider's `timeouts`, and the keys of the simulated cloud's
/// `latency` and `failures`. One list, so that every accepted key is one that is really called.
public enum ProviderOperation: String, Sendable, CaseIterable {
    case deploy, powerOn, powerOff, refreshIP, delete, findByName, observe, inventory
    case applyConnectivityChanges, prepareSandboxInfra, cleanSandboxInfra, cleanupSubnets
    case saveApp, deleteSavedApp

    /// The names, in declaration order.
    public static var names: [String] { allCases.map(\.rawValue) }
}
