import Foundation
import Testing
@testable import FirmBase
@testable import FirmModel
@testable import FirmSimulated
@testable import FirmSession
import FirmTestSupport

@Suite("End to end: the provider catalog")
struct CatalogTests {
    static func blueprint(_ apps: [String: [String: String]], settings: String = "{}") -> String {
        let entries = apps.keys.sorted().map { name in
            let attributes = apps[name]!.keys.sorted().map { "\(JSON.string($0).compactText): \(JSON.string(apps[name]![$0]!).compactText)" }.joined(separator: ", ")
            return "\"\(name)\": {\"deploymentPath\": {\"provider\": \"sim\", \"deploymentType\": \"vm\", \"attributes\": {\(attributes)}}}"
        }.joined(separator: ",\n")
        return """
            {"version": 1, "name": "cat",
             "providers": {"sim": {"type": "simulated", "connectivity": "L2", "settings": \(settings)}},
             "apps": {\(entries)}}
            """
    }

    @Test("firm catalog lists the simulated cloud's hardware profiles, images and realms, as text and as JSON")
    func listing() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("bp.json", Self.blueprint(["web": ["HardwareProfile": "small"]]))
        let text = try firm.run(["catalog", "bp.json"])
        #expect(text.code == 0, "\(text.output)")
        #expect(text.stdout.contains("provider \"sim\" (simulated)"))
        #expect(text.stdout.contains("custom  1..16  1024, 2048, 4096, 8192, 16384, 32768  10..1000 step 10  x86_64"))
        #expect(text.stdout.contains("sim-centos-7      CentOS 7          firmament  x86_64        deprecated"))
        #expect(text.stdout.contains("sim-c  Simulated C  unavailable"))
        let json = try JSONReader.parse(try firm.run(["catalog", "bp.json", "sim", "--json"]).stdout).plain
        let catalog = json["providers"]?["sim"]?["catalog"]
        #expect(catalog?["hardwareProfiles"]?.arrayValue?.count == 4)
        #expect(catalog?["hardwareProfiles"]?.arrayValue?[3]["cpu"] == ["min": 1, "max": 16, "step": 1])
        #expect(catalog?["images"]?.arrayValue?.map { $0["id"]?.stringValue } == ["sim-ubuntu-24.04", "sim-debian-12", "sim-centos-7"])
        #expect(catalog?["realms"]?.arrayValue?.count == 3)
        // What `--json` writes is what settings take: the listing round-trips through firm's reader.
        var context = DecodingContext(file: "")
        let again = CatalogDecoder.decode(JSONNode(plain: catalog ?? .null), JSONPath("catalog"), &context)
        #expect(again == SimulatedCatalog.standard, "\(context.diagnostics)")
        let unknown = try firm.run(["catalog", "bp.json", "simm"])
        #expect(unknown.code == 64)
        #expect(unknown.stderr.contains("the blueprint has no provider \"simm\" (did you mean sim?)"))
    }

    @Test("validate --online, plan and apply refuse each attribute outside the catalog, with its path and a did-you-mean, and deploy nothing",
          arguments: [
            (["HardwareProfile": "medum"], "HardwareProfile", "unknown hardware profile \"medum\" (did you mean medium?); offered: \"small\", \"medium\", \"large\", \"custom\""),
            (["HardwareProfile": "custom", "CPU": "17"], "CPU", "CPU count \"17\" is not offered by hardware profile \"custom\", which offers 1..16"),
            (["HardwareProfile": "custom", "CPU": "two"], "CPU", "\"two\" is not a number; hardware profile \"custom\" offers CPU count 1..16"),
            (["HardwareProfile": "custom", "MemoryMiB": "3000"], "MemoryMiB", "memory (MiB) \"3000\" is not offered by hardware profile \"custom\", which offers 1024, 2048, 4096, 8192, 16384, 32768"),
            (["HardwareProfile": "custom", "StorageGiB": "15"], "StorageGiB", "storage (GiB) \"15\" is not offered by hardware profile \"custom\", which offers 10..1000 step 10"),
            (["HardwareProfile": "small", "CPU": "2"], "CPU", "CPU count \"2\" is not offered by hardware profile \"small\", which offers 1"),
            (["Image": "sim-ubunt-24.04"], "Image", "unknown image \"sim-ubunt-24.04\" (did you mean sim-ubuntu-24.04?)"),
            (["Image": "sim-centos-7"], "Image", "image \"sim-centos-7\" is \"deprecated\", not available"),
            (["Realm": "sim-d"], "Realm", "unknown realm \"sim-d\" (did you mean sim-a?); offered: \"sim-a\", \"sim-b\", \"sim-c\""),
            (["Realm": "sim-c"], "Realm", "realm \"sim-c\" is \"unavailable\", not available"),
          ])
    func refusals(attributes: [String: String], attribute: String, message: String) throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("bp.json", Self.blueprint(["web": attributes, "ok": ["HardwareProfile": "custom", "CPU": "16", "MemoryMiB": "32768", "StorageGiB": "1000",
                                                                         "Image": "sim-debian-12", "Realm": "sim-b"]]))
        let path = "apps.web.deploymentPath.attributes.\(attribute)"
        let offline = try firm.run(["validate", "bp.json"])
        #expect(offline.code == 0, "without --online nothing is contacted")
        let online = try firm.run(["validate", "bp.json", "--online"])
        #expect(online.code == 1)
        #expect(online.stderr.contains("bp.json: \(path): app \"web\" on provider \"sim\": \(message)"), "\(online.output)")
        #expect(!online.stderr.contains("apps.ok"), "an app inside the catalog is not reported")
        let json = try JSONReader.parse(try firm.run(["validate", "bp.json", "--online", "--json"]).stdout).plain
        #expect(json["valid"] == false)
        #expect(json["problems"]?.arrayValue?.map { $0["path"]?.stringValue } == [path])
        for command in [["plan", "bp.json"], ["apply", "bp.json", "--auto-approve"]] {
            let result = try firm.run(command)
            #expect(result.code == 1, "\(command)")
            #expect(result.stderr.contains(path) && result.stderr.contains(message), "\(command): \(result.output)")
        }
        let world = try firm.run(["sim", "bp.json", "list"])
        #expect(world.code == 0 && !world.stdout.contains("web") && !world.stdout.contains("ok-"), "nothing deployed: \(world.output)")
    }

    @Test("an app inside the catalog deploys; settings replace the standard catalog, and the simulated cloud refuses what they don't offer")
    func settingsCatalog() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        let settings = """
            {"catalog": {"hardwareProfiles": [{"name": "tiny", "cpu": [1, 2], "memoryMiB": {"min": 512, "max": 2048, "step": 512}}],
                         "images": [{"id": "img-1", "state": "available"}]}}
            """
        firm.write("bp.json", Self.blueprint(["web": ["HardwareProfile": "tiny", "CPU": "2", "MemoryMiB": "1536", "Image": "img-1", "Realm": "anywhere"]], settings: settings))
        let online = try firm.run(["validate", "bp.json", "--online"])
        #expect(online.code == 0, "no realms listed: realms are not checked. \(online.output)")
        let apply = try firm.run(["apply", "bp.json", "--auto-approve"])
        #expect(apply.code == 0, "\(apply.output)")
        firm.write("bp.json", Self.blueprint(["web": ["HardwareProfile": "small"]], settings: settings))
        let refused = try firm.run(["plan", "bp.json"])
        #expect(refused.code == 1)
        #expect(refused.stderr.contains("unknown hardware profile \"small\"; offered: \"tiny\""), "\(refused.output)")
    }

    @Test("a catalog in settings that is not valid is reported with its paths")
    func badSettings() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        let settings = """
            {"catalog": {"hardwareProfiles": [{"name": "x", "cpu": {"min": 4, "max": 2}}, {"cpu": 1}, {"name": "y", "memoryMiB": "lots"}],
                         "images": [{"id": ""}], "realms": "all", "flavors": []}}
            """
        firm.write("bp.json", Self.blueprint(["web": [:]], settings: settings))
        let result = try firm.run(["validate", "bp.json"])
        #expect(result.code == 1)
        for expected in ["providers.sim.settings.catalog.hardwareProfiles[0].cpu: min 4 is above max 2",
                         "providers.sim.settings.catalog.hardwareProfiles[1]: missing required key \"name\"",
                         "providers.sim.settings.catalog.hardwareProfiles[2].memoryMiB: expected a number, a range",
                         "providers.sim.settings.catalog.images[0].id: expected a non-empty string",
                         "providers.sim.settings.catalog.realms: expected an array, found",
                         "providers.sim.settings.catalog.flavors: unknown key"] {
            #expect(result.stderr.contains(expected), "\(expected)\n\(result.stderr)")
        }
    }

    @Test("the simulated cloud itself refuses a deploy outside its catalog, naming the app, the attribute and what is offered")
    func cloudRefuses() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let cloud = try SimulatedCloud(name: "sim", settings: SimulatedSettings(), baseDirectory: dir.path)
        let request = DeployRequest(actionId: "a1", appName: "web", vmName: "web-1", sandbox: "cat", deploymentType: "vm",
                                    deploymentAttributes: ["HardwareProfile": "lage"], appAttributes: [:])
        await #expect {
            _ = try await cloud.deploy(request)
        } throws: { error in
            "\(error)".contains("apps.web.deploymentPath.attributes.HardwareProfile: app \"web\" on provider \"sim\": unknown hardware profile \"lage\" (did you mean large?)")
        }
        #expect(try await cloud.findByName("web-1") == nil)
    }
}
