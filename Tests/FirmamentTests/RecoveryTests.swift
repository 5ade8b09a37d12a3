import Foundation
import Testing
@testable import FirmBase
@testable import FirmModel
@testable import FirmPlanning
@testable import FirmExecution
@testable import FirmSimulated
@testable import FirmProcess
@testable import FirmEC2
@testable import FirmLocalState
@testable import FirmEtcdState
@testable import FirmSession
@testable import FirmDrift
@testable import Firmament

/// A provider whose VMs are a fixed list, for recovery: found by name, by uuid, or listed.
struct ListedProvider: StubProvider {
    let name: String
    let vms: [String: Observation]
    var naming = ProviderCapabilities.Naming.given

    func capabilities() async throws -> ProviderCapabilities { ProviderCapabilities(vmNames: naming) }
    func findByName(_ vmName: String) async throws -> Observation? { vms[vmName] }
    func observe(_ apps: [DeployedApp]) async throws -> [Observation] {
        apps.map { app in
            vms.values.first { $0.vmUuid == app.vmUuid }
                ?? Observation(vmName: app.vmName, vmUuid: app.vmUuid, exists: false, power: nil, addresses: Addresses(privateAddress: ""))
        }
    }
    func inventory(sandbox: String) async throws -> [Observation] { Array(vms.values) }
}

/// Every branch of recovery, one case each.
@Suite("Recovery")
struct RecoveryTests {
    static let path = DeploymentPath(provider: "sim", deploymentType: "small")
    static let vm = Observation(vmName: "web__abc123", vmUuid: "u-1", exists: true, power: .on, addresses: Addresses(privateAddress: "10.0.0.5"),
                                appName: "web", sandbox: "lab")

    static func intent(_ op: Intent.Operation, provider: String = "sim", path: DeploymentPath? = RecoveryTests.path) -> Intent {
        Intent(id: "i1", operation: op, app: "web", provider: provider, vmName: "web__abc123", vmUuid: op == .delete ? "u-1" : "", started: "t",
               deploymentPath: op == .deploy ? path : nil)
    }

    static func recover(_ state: State, vms: [String: Observation], naming: ProviderCapabilities.Naming = .given,
                        provider: (any CloudProvider)? = nil) async throws -> ([StateChange], [Recovery.Finding], State) {
        let providers: [String: any CloudProvider] = ["sim": provider ?? ListedProvider(name: "sim", vms: vms, naming: naming)]
        let (changes, findings) = try await Recovery.recover(state, providers: providers)
        var after = state
        for change in changes { after.apply(change) }
        return (changes, findings, after)
    }

    @Test("a deploy whose VM exists is adopted with its address and power")
    func deployAdopted() async throws {
        var state = State(lineage: "L", blueprint: "lab")
        state.intents["i1"] = Self.intent(.deploy)
        let (_, findings, after) = try await Self.recover(state, vms: ["web__abc123": Self.vm])
        #expect(after.intents.isEmpty)
        #expect(after.apps["web"]?.vmUuid == "u-1")
        #expect(after.apps["web"]?.address == "10.0.0.5")
        #expect(after.apps["web"]?.power == .on)
        #expect(after.apps["web"]?.deploymentPath == Self.path)
        #expect(findings.first?.message.contains("adopted VM web__abc123") == true)
    }

    @Test("a deploy whose VM does not exist is forgotten")
    func deployAbsent() async throws {
        var state = State(lineage: "L", blueprint: "lab")
        state.intents["i1"] = Self.intent(.deploy)
        let (_, findings, after) = try await Self.recover(state, vms: [:])
        #expect(after.intents.isEmpty)
        #expect(after.apps.isEmpty)
        #expect(findings.first?.message.contains("created no VM") == true)
    }

    @Test("a deploy intent without a deployment path still adopts its VM, which the next plan replaces")
    func deployWithoutPath() async throws {
        var state = State(lineage: "L", blueprint: "lab")
        state.intents["i1"] = Self.intent(.deploy, path: nil)
        let (_, findings, after) = try await Self.recover(state, vms: ["web__abc123": Self.vm])
        #expect(after.apps["web"]?.vmUuid == "u-1", "the VM is not leaked")
        #expect(after.apps["web"]?.deploymentPath.deploymentType == Recovery.unknownDeploymentType)
        #expect(findings.first?.message.contains("the next plan replaces it") == true)
        var blueprint = Blueprint(name: "lab")
        blueprint.providers["sim"] = ProviderSpec(type: "simulated", connectivity: .l2)
        blueprint.apps["web"] = AppSpec(deploymentPath: Self.path)
        let plan = Planner.plan(blueprint: blueprint, blueprintFile: "lab.json", state: after)
        #expect(plan.actions.first?.id == "replace:app.web")
    }

    @Test("a driver that names VMs itself: the interrupted deploy's VM is found in the inventory by its app tag, and one the state knows is not taken")
    func ownNamingAdoptsThroughInventory() async throws {
        var state = State(lineage: "L", blueprint: "lab")
        state.intents["i1"] = Self.intent(.deploy)
        // The driver chose its own name; the proposed one (web__abc123) finds nothing.
        let made = Observation(vmName: "web-9f8e7d6c", vmUuid: "u-9", exists: true, power: .off, addresses: Addresses(privateAddress: "10.0.0.9"),
                               appName: "web", sandbox: "lab")
        let other = Observation(vmName: "db-1", vmUuid: "u-2", exists: true, power: .on, addresses: Addresses(privateAddress: "10.0.0.2"),
                                appName: "db", sandbox: "lab")
        let (_, findings, after) = try await Self.recover(state, vms: ["web-9f8e7d6c": made, "db-1": other], naming: .own)
        #expect(after.apps["web"]?.vmName == "web-9f8e7d6c" && after.apps["web"]?.vmUuid == "u-9")
        #expect(after.intents.isEmpty)
        #expect(findings.first?.message.contains("adopted VM web-9f8e7d6c") == true)

        // The same VM already managed as app.web: nothing new to adopt.
        var known = state
        known.apps["web"] = AppState(provider: "sim", deploymentPath: Self.path, attributes: [:], vmName: "web-9f8e7d6c", vmUuid: "u-9")
        let (_, again, _) = try await Self.recover(known, vms: ["web-9f8e7d6c": made], naming: .own)
        #expect(again.first?.message.contains("created no VM") == true, "\(again)")
    }

    @Test("a driver that names VMs itself and has no inventory: the intent is kept, and the user is told how to settle it")
    func ownNamingWithoutInventoryKeepsIntent() async throws {
        struct NoInventory: StubProvider {
            let name = "sim"
            func capabilities() async throws -> ProviderCapabilities { ProviderCapabilities(vmNames: .own, inventory: false) }
            func inventory(sandbox: String) async throws -> [Observation] {
                throw ProviderError(provider: name, operation: "inventory", message: "unknown method inventory")
            }
        }
        var state = State(lineage: "L", blueprint: "lab")
        state.intents["i1"] = Self.intent(.deploy)
        let (_, findings, after) = try await Self.recover(state, vms: [:], provider: NoInventory())
        #expect(after.intents["i1"] != nil, "the intent is kept")
        #expect(findings.first?.message.contains("firm state rm app.web") == true, "\(findings)")
    }

    @Test("a delete whose VM is gone completes: the app leaves the state")
    func deleteCompleted() async throws {
        var state = State(lineage: "L", blueprint: "lab")
        state.apps["web"] = AppState(provider: "sim", deploymentPath: Self.path, attributes: [:], vmName: "web__abc123", vmUuid: "u-1", address: "", power: .on)
        state.intents["i1"] = Self.intent(.delete)
        let (_, findings, after) = try await Self.recover(state, vms: [:])
        #expect(after.apps.isEmpty)
        #expect(after.intents.isEmpty)
        #expect(findings.first?.message.contains("completed") == true)
    }

    @Test("a delete whose VM still exists keeps the app, so the next plan deletes it again")
    func deletePending() async throws {
        var state = State(lineage: "L", blueprint: "lab")
        state.apps["web"] = AppState(provider: "sim", deploymentPath: Self.path, attributes: [:], vmName: "web__abc123", vmUuid: "u-1", address: "", power: .on)
        state.intents["i1"] = Self.intent(.delete)
        let (_, findings, after) = try await Self.recover(state, vms: ["web__abc123": Self.vm])
        #expect(after.apps["web"]?.vmUuid == "u-1")
        #expect(after.intents.isEmpty)
        #expect(findings.first?.message.contains("did not complete") == true)
    }

    @Test("an intent of a provider no longer in the blueprint is kept, and says so")
    func providerGone() async throws {
        var state = State(lineage: "L", blueprint: "lab")
        state.intents["i1"] = Self.intent(.deploy, provider: "gone")
        let (changes, findings, after) = try await Self.recover(state, vms: ["web__abc123": Self.vm])
        #expect(changes.isEmpty)
        #expect(after.intents["i1"] != nil)
        #expect(findings.first?.message.contains("no longer configured; the intent is kept") == true)
    }
}
