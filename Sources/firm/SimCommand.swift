import Foundation
import Firmament
import FirmBase
import FirmModel
import FirmPlanning
import FirmExecution
import FirmSession
import FirmDrift
import FirmSimulated

/// `firm sim BLUEPRINT …`: changes the simulated cloud behind Firmament's back, for tutorials,
/// demos and drift tests.
enum SimCommand {
    static func run(_ args: Arguments) async throws {
        try handleHelp(args, Help.sim)
        let p = args.positionals
        guard p.count >= 2 else { throw UsageError(message: "expected BLUEPRINT and a subcommand", command: Help.sim) }
        let blueprint = try BlueprintDecoder.load(path: p[0], types: args.components.providerTypes)
        let sandbox = try SandboxHome.sandbox(args.values["--sandbox"], blueprint: blueprint.name)
        let home = try SandboxHome.folder(forBlueprint: p[0])
        let place = Place(blueprint: blueprint, sandbox: sandbox, home: home)
        let sub = p[1]
        let clouds = try simulatedClouds(place)
        switch (sub, p.count) {
        case ("list", 2):
            try await list(clouds, sandbox: sandbox, json: args.flag("--json"))
        case ("stop", 3), ("start", 3), ("delete", 3):
            let (cloud, vm) = try await find(p[2], in: clouds, place)
            try await cloud.mutate(sub, vmName: vm.vmName) { vm in
                if sub == "delete" { return false }
                vm.status = sub == "stop" ? .stopped : .running
                return true
            }
            Terminal.out("sim: \(sub == "delete" ? "deleted" : sub == "stop" ? "stopped" : "started") VM \(vm.vmName) of app.\(p[2]) outside Firmament.")
        case ("set-ip", 4):
            guard IPv4Address(p[3]) != nil else { throw UsageError(message: "\(quoted(p[3])) is not an IPv4 address", command: Help.sim) }
            let (cloud, vm) = try await find(p[2], in: clouds, place)
            try await cloud.mutate("set-ip", vmName: vm.vmName) { vm in
                vm.ip = p[3]
                return true
            }
            Terminal.out("sim: VM \(vm.vmName) of app.\(p[2]) now has address \(p[3]).")
        case ("disconnect", 4):
            let (cloud, vm) = try await find(p[2], in: clouds, place)
            let vlan = try await vlanOf(network: p[3], place, statePath: args.values["--state"], components: args.components)
            guard vm.vlans[vlan] != nil else {
                Terminal.err("firm: sim: VM \(vm.vmName) of app.\(p[2]) is not on VLAN \(vlan) (network.\(p[3]))")
                throw Exit(.failure)
            }
            try await cloud.mutate("disconnect", vmName: vm.vmName) { vm in
                vm.vlans.removeValue(forKey: vlan)
                return true
            }
            Terminal.out("sim: removed VM \(vm.vmName) of app.\(p[2]) from VLAN \(vlan) (network.\(p[3])) outside Firmament.")
        default:
            throw UsageError(message: "unknown or incomplete sim command: \(p.dropFirst().joined(separator: " "))", command: Help.sim)
        }
    }

    /// A blueprint's sandbox, and the folder its state and simulated world are found in.
    struct Place {
        var blueprint: Blueprint
        var sandbox: String
        var home: String
    }

    /// The VLAN of an L2 network: as the state recorded it, or as the blueprint resolves it.
    static func vlanOf(network: String, _ place: Place, statePath: String?, components: Components) async throws -> Int {
        let blueprint = place.blueprint
        let state = try await components.openState(statePath, sandbox: place.sandbox, home: place.home).load(blueprint: blueprint.name, writer: false).state
        if let vlan = state.networks[network]?.vlan { return vlan }
        if case .vlan(let id)? = Topology.resolve(blueprint, state: state).networks[network]?.kind { return id }
        Terminal.err("firm: sim: \(quoted(network)) is not an L2 network of blueprint \(quoted(blueprint.name))")
        throw Exit(.failure)
    }

    static func simulatedClouds(_ place: Place) throws -> [SimulatedCloud] {
        try place.blueprint.providers.keys.sorted().compactMap { name in
            let spec = place.blueprint.providers[name]!
            guard spec.type == SimulatedProviderType().name else { return nil }
            let type = SimulatedProviderType()
            let context = ProviderContext(name: name, spec: spec, sandbox: place.sandbox, baseDirectory: place.home, driverLog: nil, environment: .process)
            return try type.make(context) as? SimulatedCloud
        }
    }

    static func find(_ app: String, in clouds: [SimulatedCloud], _ place: Place) async throws -> (SimulatedCloud, SimulatedVM) {
        var matches: [(SimulatedCloud, SimulatedVM)] = []
        for cloud in clouds {
            for vm in try await cloud.allVMs() where vm.sandbox == place.sandbox && vm.app == app { matches.append((cloud, vm)) }
        }
        guard matches.count == 1 else {
            Terminal.err("firm: sim: \(matches.isEmpty ? "no" : "\(matches.count)") VMs of app.\(app) in the simulated cloud of sandbox \(quoted(place.sandbox))")
            throw Exit(.failure)
        }
        return matches[0]
    }

    static func list(_ clouds: [SimulatedCloud], sandbox: String, json: Bool) async throws {
        var rows: [JSON] = []
        var lines: [String] = []
        for cloud in clouds {
            for vm in try await cloud.allVMs() {
                rows.append(["provider": .string(cloud.name), "vmName": .string(vm.vmName), "vmUuid": .string(vm.vmUuid), "app": .string(vm.app),
                             "sandbox": .string(vm.sandbox), "status": .string(vm.status.rawValue), "ip": .string(vm.ip),
                             "vlans": .array(vm.vlans.keys.sorted().map(JSON.int)), "subnets": .array(vm.subnets.map(JSON.string))])
                let links = vm.vlans.keys.sorted().map { "vlan \($0)" } + vm.subnets
                lines.append("\(cloud.name)\t\(vm.vmName)\t\(vm.status.rawValue)\t\(vm.ip)\t\(links.joined(separator: ","))\t\(vm.sandbox == sandbox ? "" : "sandbox \(vm.sandbox)")")
            }
        }
        if json { Terminal.out(JSON.array(rows).prettyText) }
        else if lines.isEmpty { Terminal.out("The simulated cloud has no VMs.") }
        else { Terminal.out(lines.joined(separator: "\n")) }
    }
}
