import FirmBase
import FirmModel
import FirmPlanning
import FirmExecution

/// Settles intents left by a run that died mid-call: a deploy whose VM exists is adopted, one
/// whose VM does not exist is forgotten; a delete is checked the same way. Nothing is asked of
/// the user.
public enum Recovery {
    /// The deployment type recorded for a VM adopted from an intent that had no deployment path.
    public static let unknownDeploymentType = "(unknown: adopted by recovery)"

    /// What recovery found for one intent.
    public struct Finding: Sendable, Equatable {
        public var intent: Intent
        public var message: String
    }

    /// The state changes that settle every intent, and what was found.
    /// `sandbox` is the one the state's VMs are tagged with (by default its blueprint's name).
    public static func recover(_ state: State, sandbox: String? = nil, providers: [String: any CloudProvider]) async throws -> (changes: [StateChange], findings: [Finding]) {
        let sandbox = sandbox ?? state.blueprint
        var changes: [StateChange] = []
        var findings: [Finding] = []
        // The VMs the state knows, which no interrupted deploy made.
        let known = Set(state.apps.values.map(\.vmUuid))
        for id in state.intents.keys.sorted() {
            let intent = state.intents[id]!
            guard let provider = providers[intent.provider] else {
                findings.append(Finding(intent: intent, message: "provider \(quoted(intent.provider)) is no longer configured; the intent is kept"))
                continue
            }
            let found: Observation?
            do {
                found = try await RetryPolicy(provider).run { _ in
                    switch intent.operation {
                    case .deploy: try await provider.findDeployed(app: intent.app, vmName: intent.vmName, sandbox: sandbox, known: known, launch: intent.launch)
                    case .delete: try await provider.stillExists(app: intent.app, vmName: intent.vmName, vmUuid: intent.vmUuid)
                    }
                }
            } catch let error as ProviderError {
                // A driver that names VMs itself and can't list them leaves no way to tell: say so,
                // keep the intent (every plan repeats this) until the user has looked.
                guard intent.operation == .deploy, try await provider.capabilities().vmNames == .own else { throw error }
                findings.append(Finding(intent: intent, message: "can't tell whether an interrupted deploy of app.\(intent.app) made a VM: provider.\(intent.provider) "
                    + "names VMs itself, and its inventory failed (\(error.message)). The intent is kept: look in the cloud for a VM of app.\(intent.app) "
                    + "(sandbox \(sandbox)), delete it or not, then run `firm state rm app.\(intent.app)`"))
                continue
            }
            switch intent.operation {
            case .deploy:
                if let vm = found {
                    // An intent without its deployment path (hand-edited, or from an old firm)
                    // still adopts the VM, so it can't leak; the unknown path makes the next plan
                    // replace it, or delete it if the app is gone.
                    let path = intent.deploymentPath ?? DeploymentPath(provider: intent.provider, deploymentType: Recovery.unknownDeploymentType)
                    changes.append(.putApp(intent.app, adopted(vm, provider: intent.provider, path: path, attributes: intent.attributes, networks: state.networks)))
                    var message = "adopted VM \(vm.vmName) (\(vm.vmUuid)) for app.\(intent.app), deployed by an interrupted run"
                    if intent.deploymentPath == nil { message += "; its intent recorded no deployment path, so the next plan replaces it" }
                    findings.append(Finding(intent: intent, message: message))
                } else {
                    findings.append(Finding(intent: intent, message: "an interrupted deploy of app.\(intent.app) created no VM (\(intent.vmName)); nothing to adopt"))
                }
            case .delete:
                if found == nil {
                    if state.apps[intent.app]?.vmName == intent.vmName { changes.append(.removeApp(intent.app)) }
                    findings.append(Finding(intent: intent, message: "an interrupted delete of app.\(intent.app) completed: VM \(intent.vmName) is gone"))
                } else {
                    findings.append(Finding(intent: intent, message: "an interrupted delete of app.\(intent.app) did not complete: VM \(intent.vmName) still exists"))
                }
            }
            changes.append(.endIntent(id))
        }
        return (changes, findings)
    }

    /// The app record of an existing VM taken into a state (by recovery or `firm import`): its
    /// name, uuid, addresses and power as observed, and its connections to the state's subnets
    /// that the VM is on.
    public static func adopted(_ vm: Observation, provider: String, path: DeploymentPath, attributes: [String: AttributeValue],
                               networks: [String: NetworkState]) -> AppState {
        var app = AppState(provider: provider, deploymentPath: path, attributes: attributes, vmName: vm.vmName, vmUuid: vm.vmUuid,
                           address: vm.addresses.privateAddress, publicAddress: vm.addresses.publicAddress, power: vm.power ?? .off)
        for (network, n) in networks where n.subnetId != nil && (vm.subnetIds ?? []).contains(n.subnetId!) {
            app.connections[network] = Connection(subnetId: n.subnetId)
        }
        return app
    }
}
