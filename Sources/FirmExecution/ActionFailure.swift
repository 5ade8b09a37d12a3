import FirmBase
import FirmModel

/// Why one action failed, kept whole from the runner to the summary: a provider's error keeps
/// its kind, code, provider and operation.
public enum ActionFailure: Error, Equatable, CustomStringConvertible {
    /// The provider's call failed (after its retries, when retryable).
    case provider(ProviderError)
    /// The action could not be carried out as planned.
    case action(ActionError)
    /// The result could not be recorded: the state itself failed, so nothing more is started.
    case unrecorded(StateError)
    /// Stopped before it finished (SIGINT, SIGTERM).
    case cancelled
    /// Anything else, in words.
    case unexpected(String)

    /// The failure an error thrown by an action comes to.
    public init(_ error: any Error) {
        switch error {
        case let error as ActionFailure: self = error
        case let error as StateError: self = .unrecorded(error)
        case is CancellationError: self = .cancelled
        case let error as ActionError: self = .action(error)
        case let error as ProviderError: self = .provider(error)
        default: self = .unexpected("\(error)")
        }
    }

    /// When the state could not be written: nothing more is started.
    public var isFatal: Bool {
        if case .unrecorded = self { return true }
        return false
    }

    /// Whether trying again could help: only a provider's retryable failure, its retries used up.
    public var kind: FailureKind {
        if case .provider(let error) = self { return error.kind }
        return .terminal
    }

    public var description: String {
        switch self {
        case .provider(let error): error.description
        case .action(let error): error.description
        case .unrecorded(let error): "cannot record the result: \(error)"
        case .cancelled: "cancelled"
        case .unexpected(let message): message
        }
    }

    /// For machine-readable output: what failed, in words, and for a provider's failure, which
    /// provider, operation and code.
    public var json: JSON {
        var o = JSONObject([("message", .string(description)), ("kind", .string(kind.rawValue))])
        switch self {
        case .provider(let error):
            o["cause"] = "provider"
            o["provider"] = .string(error.provider)
            o["operation"] = .string(error.operation)
            o["code"] = error.code.map(JSON.string) ?? .null
        case .action: o["cause"] = "action"
        case .unrecorded: o["cause"] = "state"
        case .cancelled: o["cause"] = "cancelled"
        case .unexpected: o["cause"] = "unexpected"
        }
        return .object(o)
    }
}

/// An action that could not be carried out as planned.
public enum ActionError: Error, Equatable, CustomStringConvertible {
    /// The action's provider is not in the blueprint.
    case providerNotConfigured(String)
    /// The app the action is for is not recorded.
    case notInState(app: String)
    /// The app left the state while the provider's call was out.
    case leftState(app: String)
    /// The app the action deploys is not in the blueprint.
    case notInBlueprint(app: String)
    /// An L3 network the app is deployed onto has no subnet recorded.
    case networkNotPrepared(String)
    /// The provider's PrepareSandboxInfra made no subnet for a network.
    case noSubnetPrepared(provider: String, network: String)
    /// A `{"env": NAME}` value is not set.
    case environment(EnvironmentError)
    /// The snapshot an app deploys from is not in the state, or not usable.
    case snapshot(SnapshotError)
    /// The provider's batched answer had no result for this action.
    case noResult(provider: String, actionId: String, unknown: [String])
    /// The batch ended without running it.
    case notRun

    public var description: String {
        switch self {
        case .providerNotConfigured(let name): "provider \(quoted(name)) is not configured in the blueprint"
        case .notInState(let app): "app.\(app) is not in the state"
        case .leftState(let app): "app.\(app) left the state during the call"
        case .notInBlueprint(let app): "app.\(app) is not in the blueprint"
        case .networkNotPrepared(let name): "network.\(name) has not been prepared (no subnet id in the state)"
        case .noSubnetPrepared(let provider, let network): "provider \(quoted(provider)) prepared no subnet for network.\(network)"
        case .environment(let error): error.description
        case .snapshot(let error): error.description
        case .noResult(let provider, let actionId, let unknown):
            "provider \(quoted(provider)) returned no result for this action (actionId \(actionId))"
                + (unknown.isEmpty ? "" : "; it answered unknown actionIds " + unknown.joined(separator: ", "))
        case .notRun: "not run"
        }
    }
}
