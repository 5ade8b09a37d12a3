import Foundation
import Testing
@testable import FirmBase
@testable import FirmModel
import FirmTestSupport

/// A process driver's saved apps: the reference driver's saveApp, findSavedApp and
/// deleteSavedApp through `driver check` and `firm snapshot`, and every request firm sent them
/// handed to Quali's own parser.
@Suite("End to end: a process driver's saved apps", .serialized)
struct ProcessSnapshotTests {
    static func blueprint(copy: Bool) -> String {
        let copyApp = copy ? #", "copy": {"deploymentPath": {"provider": "fc", "deploymentType": "small", "attributes": {"image": {"snapshot": "golden"}}}, "waitForIP": false}"# : ""
        return """
            {"version": 1, "name": "fcsnap", "providers": {"fc": {"type": "process", "connectivity": "L2",
               "command": ["python3", "\(CloudShellConformanceTests.fixtures)/recording_driver.py"], "settings": {"stateFile": "cloud.json"}}},
             "apps": {"web": {"deploymentPath": {"provider": "fc", "deploymentType": "small", "attributes": {"Image": "file-base"}}, "waitForIP": false}\(copyApp)}}
            """
    }

    @Test("driver check saves, finds and deletes an app of the reference driver")
    func driverCheck() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        let check = try firm.run(["driver", "check", "--setting", "stateFile=check.json", "--", "python3", ProcessDriverTests.reference])
        #expect(check.code == 0, "\(check.output)")
        #expect(check.stdout.contains("PASS  saveApp saves the VM (a second saveApp answers the same), findSavedApp finds it, deleteSavedApp deletes it"), "\(check.stdout)")
    }

    @Test("a SaveAppResult firm can't record fails the save, names the provider, and leaves no snapshot recorded",
          arguments: [(#"{"type": "SaveApp", "success": true, "artifacts": [], "savedEntityAttributes": []}"#, "no artifacts and no savedEntityAttributes"),
                      (#"{"type": "SaveApp", "success": true, "artifacts": "ami-1"}"#, "answered saveApp with the wrong shape"),
                      (#"{"type": "SaveApp", "success": true, "artifacts": [{"artifactName": "image", "artifactRef": "a\u0007b"}]}"#, "control character"),
                      (#"{"type": "SaveApp", "success": false, "errorMessage": "disk full"}"#, "disk full")])
    func hostileResult(_ answer: String, _ message: String) throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("lab.json", Self.blueprint(copy: false).replacingOccurrences(of: #""settings": {"stateFile": "cloud.json"}"#,
                                                                                  with: #""settings": {"stateFile": "cloud.json", "saveResult": "# + JSON.string(answer).compactText + "}"))
        #expect(try firm.run(["apply", "lab.json", "--auto-approve"]).code == 0)
        let saved = try firm.run(["snapshot", "lab.json", "app.web", "--name", "golden"])
        #expect(saved.code == 1 && saved.stderr.contains("fc") && saved.stderr.contains(message), "\(saved.output)")
        let list = try firm.run(["snapshot", "list", "lab.json"])
        #expect(list.stdout.contains("No snapshots"), "\(list.output)")
    }

    @Test("a save whose provider can't tell what it made stays recorded as being saved, says so, and stops no snapshot command; delete removes it")
    func undecided() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        let failing = #""settings": {"stateFile": "cloud.json", "saveResult": "# + JSON.string(#"{"type": "SaveApp", "success": false, "errorMessage": "disk full"}"#).compactText
            + #", "findError": "the image API is down"}"#
        firm.write("lab.json", Self.blueprint(copy: false))
        #expect(try firm.run(["apply", "lab.json", "--auto-approve"]).code == 0)
        firm.write("lab.json", Self.blueprint(copy: false).replacingOccurrences(of: #""settings": {"stateFile": "cloud.json"}"#, with: failing))
        let saved = try firm.run(["snapshot", "lab.json", "app.web", "--name", "golden"])
        #expect(saved.code == 1 && saved.stderr.contains("disk full") && saved.stderr.contains("stays recorded as being saved"), "\(saved.output)")
        // Every later snapshot command still runs, and says what it could not settle.
        let list = try firm.run(["snapshot", "list", "lab.json", "--json"])
        #expect(list.code == 0 && list.stderr.contains("snapshot golden: whether an interrupted save made anything could not be told")
                && list.stderr.contains("the image API is down"), "\(list.output)")
        #expect(try JSONReader.parse(list.stdout).plain["snapshots"]?["golden"]?["status"] == "saving", "\(list.stdout)")
        let deleted = try firm.run(["snapshot", "delete", "lab.json", "golden"])
        #expect(deleted.code == 0, "\(deleted.output)")
        #expect(try firm.run(["snapshot", "list", "lab.json"]).stdout.contains("No snapshots"))
    }

    @Test("firm snapshot saves through saveApp, an app deploys from its savedEntityAttributes, delete calls deleteSavedApp; cp-core's SaveRestoreRequestActions parses every request")
    func snapshot() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("lab.json", Self.blueprint(copy: false))
        #expect(try firm.run(["apply", "lab.json", "--auto-approve"]).code == 0)
        let saved = try firm.run(["snapshot", "lab.json", "app.web", "--name", "golden"])
        #expect(saved.code == 0 && saved.stdout.contains("image fileimg-"), "\(saved.output)")
        let record = try JSONReader.parse(try firm.run(["snapshot", "list", "lab.json", "--json"]).stdout).plain["snapshots"]?["golden"]
        let image = try #require(record?["artifacts"]?["image"]?.stringValue)
        #expect(record?["restore"]?["Image"]?.stringValue == image)

        firm.write("lab.json", Self.blueprint(copy: true))
        let restored = try firm.run(["apply", "lab.json", "--auto-approve"])
        #expect(restored.code == 0, "\(restored.output)")
        let cloud = try JSONReader.parse(firm.read("cloud.json") ?? "").plain
        let copy = cloud["vms"]?.objectValue?.members.map(\.value).first { $0["app"] == "copy" }
        #expect(copy?["image"]?.stringValue == image, "the driver deployed the copy from the saved image: \(String(describing: copy))")

        firm.write("lab.json", Self.blueprint(copy: false))
        #expect(try firm.run(["apply", "lab.json", "--auto-approve"]).code == 0)
        let deleted = try firm.run(["snapshot", "delete", "lab.json", "golden"])
        #expect(deleted.code == 0, "\(deleted.output)")
        let after = try JSONReader.parse(firm.read("cloud.json") ?? "").plain
        #expect(after["images"]?.objectValue?.members.isEmpty ?? true, "deleteSavedApp removed the image")

        guard let python = CloudShellConformanceTests.python else { return }
        let saves = try CloudShellConformanceTests.parse("saveApp", firm, python: python)
        #expect(saves.count == 1, "\(saves)")
        #expect(saves.first?["type"] == "SaveApp" && saves.first?["sourceAppName"] == "web" && saves.first?["savedSandboxId"] == "fcsnap"
                && saves.first?["saveDeploymentModel"] == "small" && saves.first?["deploymentPathAttributes"]?["Image"] == "file-base", "\(saves)")
        let deletes = try CloudShellConformanceTests.parse("deleteSavedApp", firm, python: python)
        #expect(deletes.count == 1 && deletes.first?["savedAppName"] == "golden" && deletes.first?["artifacts"]?["image"]?.stringValue == image, "\(deletes)")
    }
}
