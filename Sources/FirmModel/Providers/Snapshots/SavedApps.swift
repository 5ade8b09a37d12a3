import FirmBase

/// CloudShell's SaveApp action (cp-core's `SaveApp`, `SaveAppParams`): save a deployed app so
/// that new VMs can be deployed from it. Tagged with the sandbox, the app and the snapshot's
/// name, so that `findSavedApp` finds it after a run that was killed during the call.
public struct SaveAppRequest: Sendable, Equatable {
    public var actionId: String
    /// The snapshot's name (CloudShell's saved app name).
    public var snapshot: String
    /// The sandbox it belongs to (CloudShell's savedSandboxId).
    public var sandbox: String
    /// The app saved, and its VM.
    public var app: DeployedApp
    public var deploymentType: String

    public init(actionId: String, snapshot: String, sandbox: String, app: DeployedApp, deploymentType: String) {
        self.actionId = actionId
        self.snapshot = snapshot
        self.sandbox = sandbox
        self.app = app
        self.deploymentType = deploymentType
    }
}

/// CloudShell's SaveAppResult: what was made (artifacts: name -> reference) and the
/// deployment attributes that deploy from it (savedEntityAttributes).
public struct SaveAppResult: Sendable, Equatable {
    public var artifacts: [String: String]
    public var savedEntityAttributes: [String: String]

    public init(artifacts: [String: String], savedEntityAttributes: [String: String]) {
        self.artifacts = artifacts
        self.savedEntityAttributes = savedEntityAttributes
    }
}

/// CloudShell's DeleteSavedApp action: removes what a SaveApp made. What is already gone is
/// not an error.
public struct DeleteSavedAppRequest: Sendable, Equatable {
    public var actionId: String
    public var snapshot: String
    public var sandbox: String
    /// The SaveAppResult's artifacts, as recorded.
    public var artifacts: [String: String]

    public init(actionId: String, snapshot: String, sandbox: String, artifacts: [String: String]) {
        self.actionId = actionId
        self.snapshot = snapshot
        self.sandbox = sandbox
        self.artifacts = artifacts
    }
}

/// The optional snapshot capability of a provider (docs/snapshots.md). A provider without it
/// keeps the defaults of `CloudProvider`, which refuse.
extension CloudProvider {
    /// The refusal of a provider that can't save apps.
    public func noSnapshots(_ operation: String) -> ProviderError {
        ProviderError(provider: name, operation: operation, message: "this provider can't save apps (no snapshots)", code: "NotSupported")
    }
}
