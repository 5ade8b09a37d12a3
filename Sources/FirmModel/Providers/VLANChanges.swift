import FirmBase

/// L2 connectivity in the driver SPI: CloudShell's ApplyConnectivityChanges.

/// One setVlan or removeVlan action of an ApplyConnectivityChanges batch.
public struct VLANChange: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable { case setVlan, removeVlan }

    /// Echoed in the result; results are matched by it.
    public var actionId: String
    public var kind: Kind
    public var app: DeployedApp
    public var vlan: Int
    public var mode: PortMode
    /// For removeVlan: the `updatedInterface` its setVlan returned.
    public var interface: String

    public init(actionId: String, kind: Kind, app: DeployedApp, vlan: Int, mode: PortMode, interface: String = "") {
        self.actionId = actionId
        self.kind = kind
        self.app = app
        self.vlan = vlan
        self.mode = mode
        self.interface = interface
    }
}

/// The result of one VLAN action (CloudShell's SetVlanResult / RemoveVlanResult).
public struct VLANResult: Sendable, Equatable {
    public var actionId: String
    public var success: Bool
    public var errorMessage: String
    /// For setVlan: the interface (a MAC address) the VLAN was set on.
    public var updatedInterface: String

    public init(actionId: String, success: Bool, errorMessage: String = "", updatedInterface: String = "") {
        self.actionId = actionId
        self.success = success
        self.errorMessage = errorMessage
        self.updatedInterface = updatedInterface
    }
}

