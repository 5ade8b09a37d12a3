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

/// Planner cases for networks and connectors, on L2 (VLANs) and L3 (subnets).
@Suite("Planner: connectivity")
struct ConnectivityPlannerTests {
    static func app(_ provider: String, power: Power = .on, waitForIP: Bool = false) -> AppSpec {
        AppSpec(deploymentPath: DeploymentPath(provider: provider, deploymentType: "small"), power: power, waitForIP: waitForIP)
    }

    static func l2(vlanRange: String? = nil) -> Blueprint {
        var settings = JSONObject()
        if let vlanRange { settings["vlanRange"] = .string(vlanRange) }
        return Blueprint(name: "lab", providers: ["lab": simulated(ProviderSpec(type: "simulated", connectivity: .l2, settings: .object(settings)))])
    }

    static func l3() -> Blueprint {
        Blueprint(name: "lab", providers: ["sky": simulated(ProviderSpec(type: "simulated", connectivity: .l3, settings: ["cidr": "10.0.0.0/16"]))])
    }

    /// `spec` with the traits its type gives it, as decoding a blueprint would set them.
    static func simulated(_ spec: ProviderSpec) -> ProviderSpec {
        var spec = spec
        spec.traits = SimulatedProviderType().traits(spec)
        return spec
    }

    /// A state as an apply of `blueprint` would leave it, written out by hand from the
    /// connectors, so that the planner is checked against data the code under test did not
    /// make. `vlans` gives the id of each `auto` network and app-to-app link; a missing one is a
    /// mistake in the test and fails it.
    static func applied(_ blueprint: Blueprint, vlans: [String: Int] = [:]) -> State {
        var state = State(lineage: "L", serial: 1, blueprint: "lab")
        func vlan(_ network: String) -> Int {
            if case .vlan(.fixed(let id))? = blueprint.networks[network]?.kind { return id }
            guard let id = vlans[network] else {
                Issue.record("the test gives no VLAN id for \(network)")
                return 0
            }
            return id
        }
        for (name, spec) in blueprint.apps {
            state.apps[name] = AppState(provider: spec.deploymentPath.provider, deploymentPath: spec.deploymentPath, attributes: spec.attributes,
                                        vmName: "\(name)__000000", vmUuid: "u-\(name)", address: "10.0.0.9", power: spec.power)
        }
        for c in blueprint.connectors {
            let mode = c.mode ?? .access
            let isApp = { (n: String) in blueprint.apps[n] != nil }
            let (apps, network): ([String], String) = isApp(c.from) && isApp(c.to)
                ? ([c.from, c.to], c.from < c.to ? "link:\(c.from):\(c.to)" : "link:\(c.to):\(c.from)")
                : ([isApp(c.from) ? c.from : c.to], isApp(c.from) ? c.to : c.from)
            let provider = blueprint.apps[apps[0]]!.deploymentPath.provider
            if case .subnet(let cidr, let isPublic)? = blueprint.networks[network]?.kind {
                for app in apps { state.apps[app]!.connections[network] = Connection(interface: "eth0", subnetId: "subnet-\(network)") }
                state.networks[network] = NetworkState(provider: provider, cidr: cidr, subnetId: "subnet-\(network)", isPublic: isPublic)
            } else {
                let id = vlan(network)
                for app in apps { state.apps[app]!.connections[network] = Connection(vlan: id, mode: mode, interface: "if-\(app)-\(id)") }
                state.networks[network] = NetworkState(provider: provider, vlan: id)
            }
        }
        for (name, n) in blueprint.networks where state.networks[name] == nil {
            switch n.kind {
            case .vlan: state.networks[name] = NetworkState(provider: n.provider, vlan: vlan(name))
            case .subnet(let cidr, let p): state.networks[name] = NetworkState(provider: n.provider, cidr: cidr, subnetId: "subnet-\(name)", isPublic: p)
            }
        }
        for (name, p) in blueprint.providers where p.connectivity == .l3
            && (blueprint.apps.values.contains { $0.deploymentPath.provider == name } || blueprint.networks.values.contains { $0.provider == name }) {
            state.infra[name] = InfraState(cidr: "10.0.0.0/16", networkId: "net-1", keys: "k")
        }
        return state
    }

    /// An L3 blueprint with app.api on the private subnet network.priv, and maybe another app on no network.
    static func l3Private(also other: String? = nil) -> Blueprint {
        var b = l3()
        b.apps["api"] = app("sky")
        if let other { b.apps[other] = app("sky") }
        b.networks["priv"] = NetworkSpec(provider: "sky", kind: .subnet(cidr: "10.0.2.0/24", isPublic: false))
        b.connectors = [ConnectorSpec(from: "api", to: "priv")]
        return b
    }

    static func ids(_ blueprint: Blueprint, _ state: State) -> [String] {
        Planner.plan(blueprint: blueprint, blueprintFile: "lab.json", state: state).actions.map(\.id)
    }

    static func edges(_ blueprint: Blueprint, _ state: State) -> Set<String> {
        Set(Planner.plan(blueprint: blueprint, blueprintFile: "lab.json", state: state).actions.flatMap { a in a.dependsOn.map { "\($0) -> \(a.id)" } })
    }

    @Test("L2: deploy -> connect -> powerOn, in one plan")
    func l2Deploy() {
        var b = Self.l2()
        b.apps["web"] = Self.app("lab")
        b.networks["front"] = NetworkSpec(provider: "lab", kind: .vlan(.fixed(120)))
        b.connectors = [ConnectorSpec(from: "web", to: "front")]
        let state = State(lineage: "", blueprint: "lab")
        #expect(Self.ids(b, state) == ["deploy:app.web", "connect:app.web:network.front", "powerOn:app.web"])
        #expect(Self.edges(b, state) == ["deploy:app.web -> connect:app.web:network.front", "deploy:app.web -> powerOn:app.web",
                                         "connect:app.web:network.front -> powerOn:app.web"])
        let plan = Planner.plan(blueprint: b, blueprintFile: "lab.json", state: state)
        #expect(PlanRenderer.line(plan.actions[1]) == "~ connect app.web → network.front (vlan 120, access)")
    }

    @Test("L2: an applied blueprint plans nothing")
    func l2Stable() {
        var b = Self.l2()
        b.apps["web"] = Self.app("lab")
        b.apps["db"] = Self.app("lab")
        b.networks["back"] = NetworkSpec(provider: "lab", kind: .vlan(.auto))
        b.connectors = [ConnectorSpec(from: "web", to: "back"), ConnectorSpec(from: "db", to: "back"), ConnectorSpec(from: "web", to: "db", mode: .trunk)]
        #expect(Self.ids(b, Self.applied(b, vlans: ["back": 2, "link:db:web": 3])).isEmpty)
    }

    @Test("L2: adding, removing and moving connectors")
    func l2Connectors() {
        var b = Self.l2()
        b.apps["web"] = Self.app("lab")
        b.networks["a"] = NetworkSpec(provider: "lab", kind: .vlan(.fixed(10)))
        b.networks["b"] = NetworkSpec(provider: "lab", kind: .vlan(.fixed(20)))
        b.connectors = [ConnectorSpec(from: "web", to: "a")]
        let state = Self.applied(b)
        var moved = b
        moved.connectors = [ConnectorSpec(from: "web", to: "b")]
        #expect(Self.ids(moved, state) == ["disconnect:app.web:network.a", "connect:app.web:network.b"])
        var added = b
        added.connectors.append(ConnectorSpec(from: "web", to: "b"))
        #expect(Self.ids(added, state) == ["connect:app.web:network.b"])
        var removed = b
        removed.connectors = []
        #expect(Self.ids(removed, state) == ["disconnect:app.web:network.a"])
        var trunk = b
        trunk.connectors = [ConnectorSpec(from: "web", to: "a", mode: .trunk)]
        #expect(Self.ids(trunk, state) == ["disconnect:app.web:network.a", "connect:app.web:network.a"])
        #expect(Self.edges(trunk, state) == ["disconnect:app.web:network.a -> connect:app.web:network.a"])
    }

    @Test("L2: a VLAN change disconnects and reconnects every app on it, and replaces none")
    func l2VLANChange() {
        var b = Self.l2()
        for n in ["x", "y"] { b.apps[n] = Self.app("lab") }
        b.networks["n"] = NetworkSpec(provider: "lab", kind: .vlan(.fixed(10)))
        b.connectors = [ConnectorSpec(from: "x", to: "n"), ConnectorSpec(from: "y", to: "n")]
        let state = Self.applied(b)
        b.networks["n"] = NetworkSpec(provider: "lab", kind: .vlan(.fixed(11)))
        let plan = Planner.plan(blueprint: b, blueprintFile: "lab.json", state: state)
        #expect(Set(plan.actions.map(\.id)) == ["disconnect:app.x:network.n", "connect:app.x:network.n", "disconnect:app.y:network.n", "connect:app.y:network.n"])
        #expect(!plan.actions.contains { $0.type == .replace })
    }

    @Test("L2: auto VLANs take the lowest free id in name order and stay when others come and go")
    func autoVLANStability() {
        var b = Self.l2(vlanRange: "100-110")
        b.apps["web"] = Self.app("lab")
        b.networks["m"] = NetworkSpec(provider: "lab", kind: .vlan(.auto))
        b.networks["z"] = NetworkSpec(provider: "lab", kind: .vlan(.auto))
        b.networks["fixed"] = NetworkSpec(provider: "lab", kind: .vlan(.fixed(100)))
        b.connectors = [ConnectorSpec(from: "web", to: "m"), ConnectorSpec(from: "web", to: "z")]
        let fresh = Topology.resolve(b, state: State(lineage: "", blueprint: "lab"))
        #expect(fresh.networks["m"]?.kind == .vlan(101))
        #expect(fresh.networks["z"]?.kind == .vlan(102))
        let state = Self.applied(b, vlans: ["m": 101, "z": 102])
        var grown = b
        grown.networks["a"] = NetworkSpec(provider: "lab", kind: .vlan(.auto))
        let after = Topology.resolve(grown, state: state)
        #expect(after.networks["m"]?.kind == .vlan(101))
        #expect(after.networks["z"]?.kind == .vlan(102))
        #expect(after.networks["a"]?.kind == .vlan(103))
        var shrunk = b
        shrunk.networks["m"] = nil
        shrunk.connectors = [ConnectorSpec(from: "web", to: "z")]
        #expect(Topology.resolve(shrunk, state: state).networks["z"]?.kind == .vlan(102))
        #expect(Self.ids(grown, state).isEmpty)
    }

    @Test("L2: two apps joined directly share an implicit auto VLAN")
    func implicitVLAN() {
        var b = Self.l2()
        b.apps["a"] = Self.app("lab")
        b.apps["b"] = Self.app("lab")
        b.connectors = [ConnectorSpec(from: "b", to: "a")]
        let ids = Self.ids(b, State(lineage: "", blueprint: "lab"))
        #expect(ids.contains("connect:app.a:network.link:a:b"))
        #expect(ids.contains("connect:app.b:network.link:a:b"))
    }

    @Test("L2: deleting an app disconnects it first; replacing one disconnects before and connects after")
    func l2DeleteAndReplace() {
        var b = Self.l2()
        b.apps["web"] = Self.app("lab")
        b.networks["n"] = NetworkSpec(provider: "lab", kind: .vlan(.fixed(10)))
        b.connectors = [ConnectorSpec(from: "web", to: "n")]
        let state = Self.applied(b)
        var gone = b
        gone.apps = [:]
        gone.connectors = []
        #expect(Self.edges(gone, state) == ["disconnect:app.web:network.n -> delete:app.web"])
        var changed = b
        changed.apps["web"]!.deploymentPath.deploymentType = "large"
        #expect(Self.ids(changed, state) == ["disconnect:app.web:network.n", "replace:app.web", "connect:app.web:network.n", "powerOn:app.web"])
        #expect(Self.edges(changed, state).isSuperset(of: ["disconnect:app.web:network.n -> replace:app.web", "replace:app.web -> connect:app.web:network.n",
                                                            "connect:app.web:network.n -> powerOn:app.web"]))
    }

    @Test("L3: the first use prepares the cloud, its subnets and keys before any deploy")
    func l3Prepare() {
        var b = Self.l3()
        b.apps["api"] = Self.app("sky")
        b.apps["lone"] = Self.app("sky")
        b.networks["dmz"] = NetworkSpec(provider: "sky", kind: .subnet(cidr: "10.0.1.0/24", isPublic: true))
        b.connectors = [ConnectorSpec(from: "api", to: "dmz")]
        let plan = Planner.plan(blueprint: b, blueprintFile: "lab.json", state: State(lineage: "", blueprint: "lab"))
        #expect(plan.actions.first?.id == "prepareInfra:provider.sky")
        #expect(plan.actions.first?.kind == .prepareInfra(InfraPreparation(provider: "sky", cloud: "10.0.0.0/16", subnets: [SubnetSpec(name: "dmz", cidr: "10.0.1.0/24", isPublic: true)], createKeys: true)))
        #expect(PlanRenderer.line(plan.actions[0]) == "+ prepare provider.sky (cloud 10.0.0.0/16, subnets dmz, keys)")
        let deploys = plan.actions.filter { $0.type == .deploy }
        #expect(deploys.allSatisfy { $0.dependsOn == ["prepareInfra:provider.sky"] })
        #expect(deploys.first { $0.target == "app.api" }?.kind == .deploy(app: "api", subnets: ["dmz"]))
        #expect(deploys.first { $0.target == "app.lone" }?.kind == .deploy(app: "lone", subnets: []))
    }

    @Test("L3: a subnet added later is prepared on its own, and its app is replaced onto it")
    func l3SubnetAdded() {
        var b = Self.l3()
        b.apps["api"] = Self.app("sky")
        let state = Self.applied(b)
        b.networks["priv"] = NetworkSpec(provider: "sky", kind: .subnet(cidr: "10.0.2.0/24", isPublic: false))
        b.connectors = [ConnectorSpec(from: "api", to: "priv")]
        let plan = Planner.plan(blueprint: b, blueprintFile: "lab.json", state: state)
        #expect(plan.actions.map(\.id) == ["prepareInfra:provider.sky", "replace:app.api", "powerOn:app.api"])
        #expect(plan.actions[0].kind == .prepareInfra(InfraPreparation(provider: "sky", cloud: nil, subnets: [SubnetSpec(name: "priv", cidr: "10.0.2.0/24", isPublic: false)], createKeys: false)))
        #expect(plan.actions[1].reason.contains("connectors (+priv)"))
        #expect(plan.actions[1].dependsOn == ["prepareInfra:provider.sky"])
    }

    @Test("L3: a removed subnet is cleaned after the apps on it are gone")
    func l3SubnetRemoved() {
        var b = Self.l3Private(also: "web")
        let state = Self.applied(b)
        b.apps["api"] = nil
        b.networks = [:]
        b.connectors = []
        #expect(Self.ids(b, state) == ["delete:app.api", "cleanInfra:network.priv"])
        #expect(Self.edges(b, state) == ["delete:app.api -> cleanInfra:network.priv"])
    }

    @Test("L3: a driver that can't clean up one subnet: a removed subnet stays, the plan says so, and destroy still cleans everything")
    func l3SubnetKeptWithoutCapability() {
        var b = Self.l3Private(also: "web")
        let state = Self.applied(b)
        b.apps["api"] = nil
        b.networks = [:]
        b.connectors = []
        let limited = ["sky": ProviderCapabilities(cleanupSubnets: false)]
        let plan = Planner.plan(blueprint: b, blueprintFile: "lab.json", state: state, capabilities: limited)
        #expect(plan.actions.map(\.id) == ["delete:app.api"])
        #expect(plan.notes.count == 1 && plan.notes[0].contains("network.priv was removed") && plan.notes[0].contains("stays until"), "\(plan.notes)")
        #expect(PlanRenderer.text(plan).contains("Note: network.priv was removed"))
        let destroy = Planner.plan(blueprint: Self.l3(), blueprintFile: "lab.json", state: state, destroying: true, capabilities: limited)
        #expect(destroy.actions.last?.id == "cleanInfra:provider.sky" && destroy.notes.isEmpty)
    }

    @Test("L3: a cleanup cut short (the infrastructure marked cleaning) is prepared again in full when the blueprint uses it, and cleaned again when not")
    func l3CleanupCutShort() {
        let b = Self.l3Private()
        var state = Self.applied(b)
        state.apps = [:]
        state.infra["sky"]?.cleaning = true
        let plan = Planner.plan(blueprint: b, blueprintFile: "lab.json", state: state)
        #expect(plan.actions.map(\.id) == ["prepareInfra:provider.sky", "deploy:app.api", "powerOn:app.api"])
        #expect(plan.actions.first?.kind == .prepareInfra(InfraPreparation(provider: "sky", cloud: "10.0.0.0/16",
                                                                           subnets: [SubnetSpec(name: "priv", cidr: "10.0.2.0/24", isPublic: false)], createKeys: true)))
        #expect(plan.actions.first?.reason.contains("cut short") == true)
        #expect(Self.ids(Self.l3(), state) == ["cleanInfra:provider.sky"])
    }

    @Test("L3: when the last app and network go, the infrastructure is cleaned after every delete")
    func l3LastAppRemoved() {
        let b = Self.l3Private(also: "db")
        let state = Self.applied(b)
        let empty = Self.l3()
        #expect(Self.ids(empty, state) == ["delete:app.api", "delete:app.db", "cleanInfra:provider.sky"])
        #expect(Self.edges(empty, state) == ["delete:app.api -> cleanInfra:provider.sky", "delete:app.db -> cleanInfra:provider.sky"])
    }

    @Test("L3: a subnet's CIDR change deletes its apps, cleans, prepares and deploys again, in that order")
    func l3SubnetMoved() {
        var b = Self.l3Private()
        let state = Self.applied(b)
        b.networks["priv"] = NetworkSpec(provider: "sky", kind: .subnet(cidr: "10.0.3.0/24", isPublic: false))
        #expect(Self.ids(b, state) == ["delete:app.api", "cleanInfra:network.priv", "prepareInfra:provider.sky", "deploy:app.api", "powerOn:app.api"])
    }

    @Test("L3: two apps joined directly get an implicit /28 from the top of the cloud CIDR")
    func implicitSubnet() {
        var b = Self.l3()
        b.apps["a"] = Self.app("sky")
        b.apps["b"] = Self.app("sky")
        b.connectors = [ConnectorSpec(from: "a", to: "b")]
        let topology = Topology.resolve(b, state: State(lineage: "", blueprint: "lab"))
        #expect(topology.networks["link:a:b"]?.kind == .subnet(cidr: "10.0.255.240/28", isPublic: false))
    }
}
