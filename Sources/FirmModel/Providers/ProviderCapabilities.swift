import FirmBase

/// What a driver can do beyond CloudShell's interface, as it declares in `initialize`
/// (`"capabilities"`). The defaults are what a driver that says nothing gets.
public struct ProviderCapabilities: Sendable, Equatable {
    /// Who names a new VM.
    public enum Naming: String, Sendable, Equatable, CaseIterable {
        /// The driver creates the VM under the unique name firm chose and recorded before the
        /// call, and finds it by that name (`findByName`): an interrupted deploy is always found.
        case given
        /// The driver names the VM itself, as CloudShell shells do; firm records the name it
        /// returns. An interrupted deploy is found through `inventory` (the VMs tagged with the
        /// sandbox and the app), when the driver has it.
        case own
    }

    public var vmNames: Naming
    /// Whether the driver can remove one subnet (firm's `cleanupSubnets`). Without it, a subnet
    /// removed from the blueprint stays until the sandbox's infrastructure is cleaned up.
    public var cleanupSubnets: Bool
    /// Whether refreshIP answers with the addresses. Without it, firm calls refreshIP (which
    /// waits for the address, as CloudShell's does) and then reads the addresses with observe.
    public var refreshIPAddresses: Bool
    /// Whether it can list the VMs tagged with a sandbox (`inventory`, in its `operations`).
    /// Without it, `firm drift` can't report unmanaged VMs, and a driver that names VMs itself
    /// can't have an interrupted deploy recovered.
    public var inventory: Bool

    public init(vmNames: Naming = .given, cleanupSubnets: Bool = true, refreshIPAddresses: Bool = true, inventory: Bool = true) {
        self.inventory = inventory
        self.vmNames = vmNames
        self.cleanupSubnets = cleanupSubnets
        self.refreshIPAddresses = refreshIPAddresses
    }

    /// Everything: the built-in providers.
    public static let full = ProviderCapabilities()
}
