import Foundation
import Testing
@testable import FirmBase
@testable import FirmModel
import FirmTestSupport

/// A process driver's optional `catalog` method: the reference driver's, through `driver check`,
/// `firm catalog` and `validate --online`, and a hostile answer.
@Suite("End to end: a process driver's catalog")
struct ProcessCatalogTests {
    @Test("driver check reads the reference driver's catalog, and fails a driver whose catalog is not one, naming the path")
    func driverCheck() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        let good = try firm.run(["driver", "check", "--setting", "stateFile=check.json", "--", "python3", ProcessDriverTests.reference])
        #expect(good.code == 0, "\(good.output)")
        #expect(good.stdout.contains("PASS  catalog answers hardware profiles, images and realms firm can read"), "\(good.stdout)")
        #expect(good.stdout.contains("2 hardware profile(s), 1 image(s), 1 realm(s)"))
        let bad = try firm.run(["driver", "check", "--setting", "stateFile=check.json", "--setting", "catalog=everything", "--", "python3", ProcessDriverTests.reference])
        #expect(bad.code == 1)
        #expect(bad.stdout.contains("FAIL  catalog answers"), "\(bad.stdout)")
        #expect(bad.stdout.contains("answered a catalog that is not valid: catalog: expected an object, found a string"), "\(bad.stdout)")
    }

    @Test("firm catalog lists the driver's catalog, and validate --online and plan check apps against it")
    func checked() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        var text = ProcessDriverTests.blueprint()
        text = text.replacingOccurrences(of: #""api": {"deploymentPath": {"provider": "fc", "deploymentType": "small"}}"#,
                                         with: #""api": {"deploymentPath": {"provider": "fc", "deploymentType": "small", "attributes": {"HardwareProfile": "file.flex", "CPU": "4", "MemoryMiB": "1024", "Image": "file-base", "Realm": "local"}}}"#)
        firm.write("lab.json", text)
        let listing = try firm.run(["catalog", "lab.json", "fc"], environment: ProcessDriverTests.env)
        #expect(listing.code == 0, "\(listing.output)")
        #expect(listing.stdout.contains("file.flex   1..8  512, 1024, 2048  1..100"), "\(listing.stdout)")
        #expect(listing.stdout.contains("local  This machine  available"))
        #expect(try firm.run(["validate", "lab.json", "--online"], environment: ProcessDriverTests.env).code == 0)
        firm.write("lab.json", text.replacingOccurrences(of: #""CPU": "4""#, with: #""CPU": "9""#).replacingOccurrences(of: "file-base", with: "file-bsae"))
        let online = try firm.run(["validate", "lab.json", "--online"], environment: ProcessDriverTests.env)
        #expect(online.code == 1)
        #expect(online.stderr.contains("apps.api.deploymentPath.attributes.CPU: app \"api\" on provider \"fc\": CPU count \"9\" is not offered by hardware profile \"file.flex\", which offers 1..8"), "\(online.output)")
        #expect(online.stderr.contains("apps.api.deploymentPath.attributes.Image: app \"api\" on provider \"fc\": unknown image \"file-bsae\" (did you mean file-base?)"))
        let plan = try firm.run(["plan", "lab.json"], environment: ProcessDriverTests.env)
        #expect(plan.code == 1 && plan.stderr.contains("did you mean file-base?"), "\(plan.output)")
        #expect(!plan.output.contains("token-very-secret-42"))
    }

    @Test("a catalog that can't be read: plan warns and goes on, validate --online fails naming the provider")
    func unreadable() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("lab.json", ProcessDriverTests.blueprint(settings: #", "catalog": "everything""#))
        let online = try firm.run(["validate", "lab.json", "--online"], environment: ProcessDriverTests.env)
        #expect(online.code == 1)
        #expect(online.stderr.contains("providers.fc: the catalog could not be read: provider \"fc\": catalog failed: answered a catalog that is not valid: catalog: expected an object, found a string"), "\(online.output)")
        let plan = try firm.run(["plan", "lab.json"], environment: ProcessDriverTests.env)
        #expect(plan.code == 0, "\(plan.output)")
        #expect(plan.stderr.contains("warning: the catalog of provider \"fc\" could not be read, so its apps were not checked against it"), "\(plan.stderr)")
    }
}
