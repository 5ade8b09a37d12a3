import Testing
@testable import FirmBase
@testable import FirmModel
@testable import FirmLinux

@Suite("linux provider: names and ip -json as hostile input")
struct LinuxKernelJSONTests {
    @Test("names are derived, bounded and told apart")
    func names() {
        let names = LinuxNames(prefix: "firm-lab", sandbox: "a-very-long-sandbox-name-" + String(repeating: "x", count: 38))
        let namespace = names.namespace(vmName: "web__abc123")
        #expect(namespace == names.namespace(vmName: "web__abc123"))
        #expect(namespace != names.namespace(vmName: "web__abc124"))
        #expect(namespace.utf8.count <= 24 && names.sandboxSwitch.utf8.count <= 15)
        #expect(names.appKey(ofNamespace: namespace) == names.appKey("web__abc123"))
        #expect(names.appKey(ofNamespace: names.sandboxSwitch) == nil)
        #expect(LinuxNames(prefix: "firm-lab", sandbox: "other").appKey(ofNamespace: namespace) == nil)
        let port = LinuxNames.port(appKey: names.appKey("web__abc123"), index: 99)
        #expect(port.utf8.count <= 15)
        #expect(LinuxNames.parsePort(port)?.index == 99)
        #expect(LinuxNames.parsePort("pZZZZZZZZ-0") == nil && LinuxNames.parsePort("eth0") == nil)
        #expect(names.bridge(vlan: 4094).utf8.count <= 15)
        #expect(names.vlan(ofBridge: names.bridge(vlan: 120)) == 120)
        #expect(names.vlan(ofBridge: "firm-labv0120") == nil && names.vlan(ofBridge: "firm-labv5000") == nil)
        #expect(LinuxNames.mac(vmName: "web__abc123", interface: "eth0") == LinuxNames.mac(vmName: "web__abc123", interface: "eth0"))
        #expect(LinuxNames.mac(vmName: "web__abc123", interface: "eth0").hasPrefix("02:"))
        #expect(LinuxLabel(LinuxLabel(app: "web", vmName: "web__abc123").text) == LinuxLabel(app: "web", vmName: "web__abc123"))
        #expect(LinuxLabel("firm:web") == nil && LinuxLabel("other:web:x") == nil && LinuxLabel("firm:1web:x") == nil)
    }

    @Test("an L3 router's names fit the kernel, its uplink is a /30 of 169.254/16 apart from another sandbox's, and only well-formed bridge aliases are subnets")
    func routerNames() {
        let router = LinuxRouter(names: LinuxNames(prefix: "firm-lab", sandbox: "lab"))
        let other = LinuxRouter(names: LinuxNames(prefix: "firm-lab", sandbox: "lab2"))
        #expect(router.hostLink.utf8.count <= 15 && router.bridge(network: "private").utf8.count <= 15)
        #expect(router.isBridge(router.bridge(network: "private")) && !router.isBridge(router.names.bridge(vlan: 120)) && !router.isBridge("firm-labsZZZZZZ"))
        #expect(router.bridge(network: "dmz") != router.bridge(network: "private") && router.bridge(network: "dmz") != other.bridge(network: "dmz"))
        #expect(router.hostLink != other.hostLink)
        #expect(CIDR("169.254.0.0/16")!.contains(router.transit) && router.transit.prefix == 30)
        #expect(router.transit.contains(router.hostAddress) && router.transit.contains(router.routerAddress) && router.hostAddress != router.routerAddress)
        #expect(router.transit.network.value & 0xFF00 != 0, "never 169.254.0.x")
        let subnet = LinuxRouter.Subnet(network: "dmz", cidr: CIDR("10.40.1.0/24")!, isPublic: true)
        #expect(LinuxRouter.Subnet(alias: subnet.alias) == subnet && subnet.gateway.description == "10.40.1.1")
        for bad in ["firm-l3:dmz:10.40.1.0/24", "firm-l3:dmz:10.40.1.0/24:open", "firm-l3:1dmz:10.40.1.0/24:public", "firm-l3:dmz:10.40.1.0/31:public",
                    "firm-l3:dmz:10.40.1.1/24:public", "firm-subnet:10.77.0.0/28", "firm-l3::10.40.1.0/24:public"] {
            #expect(LinuxRouter.Subnet(alias: bad) == nil, "\(bad)")
        }
        #expect(LinuxNAT.ruleset(privateSubnets: [CIDR("10.40.2.0/24")!]).contains("oifname \"uplink\" ip saddr 10.40.2.0/24 masquerade"))
    }

    @Test("ip -json answers are read, and what is not an answer is refused naming the source")
    func hostile() throws {
        let good = #"[{"ifname":"eth0","flags":["UP"],"master":"br","ifalias":"firm:a:b","addr_info":[{"family":"inet","local":"10.0.0.2","prefixlen":24},{"family":"inet6","local":"fe80::1"}]}]"#
        let links = try KernelJSON.links(Array(good.utf8), source: "test")
        #expect(links == [KernelLink(name: "eth0", flags: ["UP"], master: "br", alias: "firm:a:b", mac: nil, addresses: ["10.0.0.2"], prefixLengths: [24])])
        #expect(try KernelJSON.links(Array(" \n".utf8), source: "test").isEmpty)
        for bad in ["not json", "{}", "[1]", #"[{"flags":[]}]"#, #"[{"ifname":"a-name-longer-than-15"}]"#, #"[{"ifname":"x","flags":"UP"}]"#,
                    #"[{"ifname":"x","master":3}]"#, #"[{"ifname":"x","addr_info":[{"family":"inet","local":"999.1.1.1","prefixlen":24}]}]"#,
                    #"[{"ifname":"x","addr_info":[{"family":"inet","local":"10.0.0.1","prefixlen":33}]}]"#, "[" + String(repeating: "[", count: 5000)] {
            #expect(throws: KernelError.self, "\(bad)") { try KernelJSON.links(Array(bad.utf8), source: "ip -n ns -json link show") }
            do {
                _ = try KernelJSON.links(Array(bad.utf8), source: "ip -n ns -json link show")
            } catch {
                #expect("\(error)".hasPrefix("ip -n ns -json link show"))
            }
        }
        #expect(try KernelJSON.namespaces(Array(#"[{"name":"a","id":0},{"name":"b"}]"#.utf8), source: "t") == ["a", "b"])
        #expect(throws: KernelError.self) { try KernelJSON.namespaces(Array(#"[{"id":0}]"#.utf8), source: "t") }
    }

    @Test("settings and deployment paths: every problem with its path")
    func settings() {
        var context = DecodingContext(file: "lab.json")
        let node = JSONNode(plain: ["cidr": "10.0.0.1/24", "vlanRange": "5-1", "bridge": "Firm_Lab", "extra": true, "subnetPrefix": 31])
        #expect(LinuxSettings.decode(node, JSONPath().key("settings"), &context) == nil)
        let paths = Set(context.diagnostics.map(\.path))
        #expect(paths == ["settings.cidr", "settings.vlanRange", "settings.bridge", "settings.extra", "settings.subnetPrefix"])
        var wide = DecodingContext(file: "lab.json")
        #expect(LinuxSettings.decode(JSONNode(plain: ["cidr": "10.0.0.0/24", "subnetPrefix": 20]), JSONPath().key("settings"), &wide) == nil)
        #expect(wide.diagnostics.first?.message.contains("wider than cidr 10.0.0.0/24") == true)
        var deployment = DecodingContext(file: "lab.json")
        LinuxDeployment.check(DeploymentPath(provider: "lab", deploymentType: "vm", attributes: ["Comand": .literal("x"), "Command": .literal("  ")]),
                              JSONPath().key("deploymentPath"), &deployment)
        #expect(Set(deployment.diagnostics.map(\.path)) == ["deploymentPath.deploymentType", "deploymentPath.attributes.Comand", "deploymentPath.attributes.Command"])
        #expect(LinuxSettings(["cidr": "10.9.0.0/16", "bridge": "lab"]).prefix == "lab")
    }

    @Test("each VLAN's subnet is carved from the CIDR: its preferred one, else the next free; addresses the lowest free")
    func subnets() {
        let settings = LinuxSettings(["cidr": "10.77.0.0/24", "vlanRange": "100-199"])
        let subnets = settings.subnets
        #expect(subnets.prefix == 28 && subnets.count == 16)
        #expect(subnets.choose(vlan: 100, taken: [])?.description == "10.77.0.0/28")
        #expect(subnets.choose(vlan: 120, taken: [])?.description == "10.77.0.64/28")
        // VLAN 116 prefers VLAN 100's subnet; it takes the next one free.
        #expect(subnets.choose(vlan: 116, taken: [CIDR("10.77.0.0/28")!])?.description == "10.77.0.16/28")
        #expect(subnets.choose(vlan: 100, taken: Set((0..<16).map(subnets.subnet))) == nil)
        #expect(subnets.recorded("firm-subnet:10.77.0.16/28") == CIDR("10.77.0.16/28"))
        #expect(subnets.recorded("firm-subnet:10.78.0.16/28") == nil && subnets.recorded("firm-subnet:10.77.0.0/24") == nil && subnets.recorded(nil) == nil)
        let subnet = CIDR("10.77.0.16/28")!
        #expect(LinuxSubnets.free(in: subnet, used: [IPv4Address("10.77.0.17")!.value])?.description == "10.77.0.18")
        #expect(LinuxSubnets.free(in: subnet, used: Set((17...30).map { IPv4Address("10.77.0.\($0)")!.value })) == nil)
        #expect(LinuxSettings(["cidr": "10.77.0.0/16", "subnetPrefix": 24]).subnets.subnet(120).description == "10.77.120.0/24")
    }

    @Test("a catalog's capabilities pass firm's own catalog reader, and hostile ones are refused with their paths")
    func capabilities() throws {
        var catalog = ProviderCatalog(listed: [])
        catalog.capabilities = LinuxVLANModel.filteringUnsupported("RTNETLINK answers: Operation not supported").capabilities
        #expect(try CatalogDecoder.decode(catalog.json, provider: "lab") == catalog)
        var context = DecodingContext(file: "")
        let hostile = JSONNode(plain: ["capabilities": ["vlanModel": 3, "": "x"]])
        #expect(CatalogDecoder.decode(hostile, JSONPath("catalog"), &context) == nil)
        #expect(Set(context.diagnostics.map(\.path)).contains("catalog.capabilities.vlanModel"), "\(context.diagnostics)")
    }
}
