import Foundation
import Testing
@testable import FirmBase
@testable import FirmModel
import FirmTestSupport

@Suite("End to end: snapshots on the simulated cloud")
struct SnapshotTests {
    /// `apps`: name -> the `image` attribute's JSON (a literal image, or a snapshot reference).
    static func blueprint(_ apps: [String: String]) -> String {
        let entries = apps.keys.sorted().map { name in
            "\"\(name)\": {\"deploymentPath\": {\"provider\": \"sim\", \"deploymentType\": \"vm\", \"attributes\": {\(apps[name]!)}}}"
        }.joined(separator: ",\n")
        return """
            {"version": 1, "name": "snap",
             "providers": {"sim": {"type": "simulated", "connectivity": "L2", "settings": {"dataDir": "world"}}},
             "apps": {\(entries)}}
            """
    }

    static let base = "\"Image\": \"sim-debian-12\""
    static func restored(_ name: String) -> String { "\"image\": {\"snapshot\": \"\(name)\"}" }

    /// The world's VMs and images as its log last put them.
    static func world(_ firm: FirmProcess) throws -> (vms: [String: JSON], images: [String: JSON]) {
        var vms: [String: JSON] = [:], images: [String: JSON] = [:]
        for line in (firm.read("world/sim.world") ?? "").split(separator: "\n") {
            let change = try JSONReader.parse(String(line)).plain
            if let vm = change["put"], let name = vm["vmName"]?.stringValue { vms[name] = vm }
            if let name = change["delete"]?.stringValue { vms[name] = nil }
            if let image = change["image"], let id = image["id"]?.stringValue { images[id] = image }
            if let id = change["deleteImage"]?.stringValue { images[id] = nil }
        }
        return (vms, images)
    }

    @Test("snapshot, list, a second app restored from it, replace on change, refusals, delete", arguments: StateBackendUnderTest.all)
    func lifecycle(_ backend: StateBackendUnderTest) throws {
        let bed = try TestBed(backend)
        defer { bed.stop() }
        let firm = bed.firm
        firm.write("bp.json", Self.blueprint(["web": Self.base]))
        // Before any apply there is no state to hold snapshots: said, not shown as none.
        let early = try bed.run(["snapshot", "list", "bp.json"])
        #expect(early.code == 1 && early.stderr.contains("no state for sandbox"), "\(early.output)")
        let applied = try bed.run(["apply", "bp.json", "--auto-approve"])
        #expect(applied.code == 0, "\(applied.output)")

        let saved = try bed.run(["snapshot", "bp.json", "app.web", "--name", "golden"])
        #expect(saved.code == 0, "\(saved.output)")
        #expect(saved.stdout.contains("Saved app.web as snapshot golden: image simimg-"), "\(saved.output)")
        var world = try Self.world(firm)
        #expect(world.images.count == 1)
        let image = try #require(world.images.values.first)
        #expect(image["snapshot"] == "golden" && image["sandbox"] == "snap" && image["app"] == "web" && image["state"] == "available")
        let imageId = try #require(image["id"]?.stringValue)

        let list = try bed.run(["snapshot", "list", "bp.json"])
        #expect(list.code == 0)
        #expect(list.stdout.contains("golden") && list.stdout.contains("app.web") && list.stdout.contains("available") && list.stdout.contains("image \(imageId)"), "\(list.output)")
        let json = try JSONReader.parse(try bed.run(["snapshot", "list", "bp.json", "--json"]).stdout).plain
        #expect(json["snapshots"]?["golden"]?["artifacts"]?["image"]?.stringValue == imageId)
        #expect(json["snapshots"]?["golden"]?["restore"]?["Image"]?.stringValue == imageId)

        let again = try bed.run(["snapshot", "bp.json", "app.web", "--name", "golden"])
        #expect(again.code == 1 && again.stderr.contains("snapshot \"golden\" already exists"), "\(again.output)")
        let missing = try bed.run(["snapshot", "bp.json", "app.wbe", "--name", "other"])
        #expect(missing.code == 1 && missing.stderr.contains("app.wbe is not deployed in sandbox snap (did you mean app.web?)"), "\(missing.output)")
        #expect(try Self.world(firm).images.count == 1, "refusals make no image")

        // A typo in the snapshot's name is refused before anything is deployed.
        firm.write("bp.json", Self.blueprint(["web": Self.base, "copy": Self.restored("goldn")]))
        for command in [["plan", "bp.json"], ["apply", "bp.json", "--auto-approve"]] {
            let refused = try bed.run(command)
            #expect(refused.code == 1, "\(command)")
            #expect(refused.stderr.contains("apps.copy.deploymentPath.attributes.image: unknown snapshot \"goldn\" (did you mean golden?)"), "\(command): \(refused.output)")
        }
        #expect(try Self.world(firm).vms.count == 1)

        // A second app deployed from the snapshot: its VM is made from the snapshot's image.
        firm.write("bp.json", Self.blueprint(["web": Self.base, "copy": Self.restored("golden")]))
        let restoredRun = try bed.run(["apply", "bp.json", "--auto-approve"])
        #expect(restoredRun.code == 0, "\(restoredRun.output)")
        world = try Self.world(firm)
        let copy = try #require(world.vms.values.first { $0["app"] == "copy" })
        #expect(copy["image"]?.stringValue == imageId)
        let noChanges = try bed.run(["plan", "bp.json", "--detailed-exitcode"])
        #expect(noChanges.code == 0, "a restored app stays as it is: \(noChanges.output)")

        // Deleting a snapshot an app still deploys from is refused, naming the app.
        let inUse = try bed.run(["snapshot", "delete", "bp.json", "golden"])
        #expect(inUse.code == 1 && inUse.stderr.contains("snapshot \"golden\" is still deployed from by app.copy"), "\(inUse.output)")
        let unknown = try bed.run(["snapshot", "delete", "bp.json", "goldne"])
        #expect(unknown.code == 1 && unknown.stderr.contains("sandbox snap has no snapshot \"goldne\" (did you mean golden?)"), "\(unknown.output)")

        // Changing an app to a snapshot replaces it.
        firm.write("bp.json", Self.blueprint(["web": Self.restored("golden"), "copy": Self.restored("golden")]))
        let plan = try JSONReader.parse(try bed.run(["plan", "bp.json", "--json"]).stdout).plain
        let kinds = plan["actions"]?.arrayValue?.compactMap { action -> String? in
            action["target"]?.stringValue == "app.web" ? action["type"]?.stringValue : nil
        }
        #expect(kinds?.contains("replace") == true, "\(plan.compactText)")
        let text = try bed.run(["plan", "bp.json"])
        #expect(text.stdout.contains("deploymentPath.attributes.image (unset → snapshot \"golden\")"), "\(text.output)")

        // Once nothing deploys from it, it is deleted in the cloud and forgotten.
        firm.write("bp.json", Self.blueprint(["web": Self.base]))
        #expect(try bed.run(["apply", "bp.json", "--auto-approve"]).code == 0)
        let deleted = try bed.run(["snapshot", "delete", "bp.json", "golden"])
        #expect(deleted.code == 0 && deleted.stdout.contains("Deleted snapshot golden of app.web (image \(imageId))"), "\(deleted.output)")
        #expect(try Self.world(firm).images.isEmpty)
        #expect(try bed.run(["snapshot", "list", "bp.json"]).stdout.contains("No snapshots"))
        let show = try bed.run(["show", "bp.json", "--json"])
        #expect(show.code == 0, "the state firm wrote reads back: \(show.output)")
    }

    @Test("killed with SIGKILL mid-save, the next snapshot command records the image the cloud made; never a second", arguments: StateBackendUnderTest.all)
    func killedMidSave(_ backend: StateBackendUnderTest) throws {
        let bed = try TestBed(backend)
        defer { bed.stop() }
        let firm = bed.firm
        firm.write("bp.json", Self.blueprint(["web": Self.base]).replacingOccurrences(of: #""dataDir": "world""#, with: #""dataDir": "world", "latency": {"saveApp": "30s"}"#))
        #expect(try bed.run(["apply", "bp.json", "--auto-approve"]).code == 0)
        let (process, _, _) = try bed.start(["snapshot", "bp.json", "app.web", "--name", "golden"] + bed.killable)
        #expect(waitUntil(.seconds(20)) { ((try? Self.world(firm))?.images.count ?? 0) == 1 })
        #expect(process.isRunning)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(try Self.world(firm).images.values.first?["state"] == "pending")
        let settled = try bed.run(["snapshot", "list", "bp.json", "--json", "--lock-timeout", "10s"])
        #expect(settled.code == 0, "\(settled.output)")
        #expect(settled.stderr.contains("snapshot golden: an interrupted save had made image simimg-"), "\(settled.output)")
        let record = try JSONReader.parse(settled.stdout).plain["snapshots"]?["golden"]
        #expect(record?["status"] == "available")
        let world = try Self.world(firm)
        #expect(world.images.count == 1 && world.images.values.first?["state"] == "available" && world.images.keys.first == record?["artifacts"]?["image"]?.stringValue)
        #expect(try bed.run(["snapshot", "bp.json", "app.web", "--name", "golden"]).code == 1)
        #expect(try Self.world(firm).images.count == 1, "never a second image")
    }

    @Test("usage errors name what is wrong")
    func usage() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("bp.json", Self.blueprint(["web": Self.base]))
        for (arguments, message) in [(["snapshot", "bp.json", "app.web"], "missing --name SNAP"),
                                     (["snapshot", "bp.json", "web", "--name", "a"], "\"web\" is not an app's address; expected app.NAME"),
                                     (["snapshot", "bp.json", "app.web", "--name", "a b"], "--name \"a b\" is not a name"),
                                     (["snapshot", "delete", "bp.json"], "missing SNAP")] {
            let result = try firm.run(arguments)
            #expect(result.code == 64 && result.stderr.contains(message), "\(arguments): \(result.output)")
        }
        let bad = try firm.run(["validate", "bp.json"], environment: [:])
        #expect(bad.code == 0)
        firm.write("bad.json", Self.blueprint(["web": "\"Image\": {\"snapshot\": \"x\"}"]))
        let refused = try firm.run(["validate", "bad.json"])
        #expect(refused.code == 1 && refused.stderr.contains("apps.web.deploymentPath.attributes.Image: {\"snapshot\": NAME} is only taken by the deployment attribute \"image\""), "\(refused.output)")
    }
}
