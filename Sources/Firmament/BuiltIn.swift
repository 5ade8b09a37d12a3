import FirmBase
import FirmModel
import FirmSimulated
import FirmProcess
import FirmEC2
import FirmLinux
import FirmLocalState
import FirmEtcdState

/// The composition root: the provider types and state backend kinds built into `firm`. A new
/// provider type or backend is a target of its own and one line here; nothing else names it.
public enum BuiltIn {
    /// `simulated`, `process`, `ec2` and `linux`.
    public static let providerTypes = ProviderTypeRegistry([SimulatedProviderType(), ProcessProviderType(), EC2ProviderType(), LinuxProviderType()])

    /// Local files for paths, etcd for `etcd://` and `etcds://` URLs.
    public static let stateBackends = StateBackendRegistry(files: LocalStateKind(), others: [EtcdStateKind()])

    /// Everything built in, with the state configured by `options`.
    public static func components(_ options: StateOptions = StateOptions()) -> Components {
        Components(providerTypes: providerTypes, stateBackends: stateBackends, stateOptions: options)
    }

    /// What `firm` does before it exits: lets work that had to return at once finish (a lock
    /// released over the network), for at most `limit`, and stops every driver process, so
    /// that none outlives firm.
    public static func beforeExit(within limit: Duration) async {
        await PendingWork.shared.drain(within: limit)
        await DriverProcesses.stopAll()
    }
}
