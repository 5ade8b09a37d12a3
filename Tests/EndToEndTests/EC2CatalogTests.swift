import Foundation
import Testing
@testable import FirmBase
@testable import FirmModel
@testable import FirmEC2
import FirmTestSupport

/// The ec2 provider's catalog, through `firm`, against moto's server.
@Suite("End to end: EC2's catalog on moto", .serialized)
struct EC2CatalogTests {
    @Test("catalog --json lists instance types, the blueprint's images and the zones; validate --online, plan and apply refuse t3.micor and an unknown AMI before anything is made",
          .enabled(if: MotoServer.required))
    func catalog() throws {
        let moto = try MotoServer()
        defer { moto.stop() }
        let firm = FirmProcess()
        defer { firm.remove() }
        let env = moto.environment
        firm.write("lab.json", try EC2Tests.blueprint(endpoint: moto.endpoint))
        let listing = try firm.run(["catalog", "lab.json", "--json"], environment: env)
        #expect(listing.code == 0, "\(listing.output)")
        let catalog = try JSONReader.parse(listing.stdout).plain["providers"]?["aws"]?["catalog"]
        let micro = catalog?["hardwareProfiles"]?.arrayValue?.first { $0["name"] == "t3.micro" }
        #expect(micro?["cpu"] == 2 && micro?["memoryMiB"] == 1024, "\(String(describing: micro))")
        #expect(catalog?["images"]?.arrayValue?.map { $0["id"]?.stringValue } == ["ami-1e749f67"], "the blueprint's image, not the public catalogue")
        #expect(catalog?["realms"]?.arrayValue?.contains { $0["id"] == "us-east-1a" } == true)
        #expect(try firm.run(["validate", "lab.json", "--online"], environment: env).code == 0)

        firm.write("lab.json", try EC2Tests.blueprint(endpoint: moto.endpoint) { text in
            text = text.replacingOccurrences(of: #""InstanceType": "t3.small""#, with: #""InstanceType": "t3.micor""#)
            text = text.replacingOccurrences(of: #"{ "AMI": "ami-1e749f67", "InstanceType": "t3.micro" }"#, with: #"{ "AMI": "ami-0123456789abcdef0", "InstanceType": "t3.micro" }"#)
        })
        let online = try firm.run(["validate", "lab.json", "--online", "--json"], environment: env)
        #expect(online.code == 1, "\(online.output)")
        let problems = try JSONReader.parse(online.stdout).plain["problems"]?.arrayValue ?? []
        #expect(problems.map { $0["path"]?.stringValue ?? "" } == ["apps.api.deploymentPath.attributes.InstanceType", "apps.batch.deploymentPath.attributes.AMI"], "\(online.stdout)")
        #expect(problems.first?["message"]?.stringValue?.contains("unknown hardware profile \"t3.micor\" (did you mean t3.micro?)") == true)
        #expect(problems.last?["message"]?.stringValue?.contains("unknown image \"ami-0123456789abcdef0\"") == true)
        for command in [["plan", "lab.json"], ["apply", "lab.json", "--auto-approve"]] {
            let result = try firm.run(command, environment: env)
            #expect(result.code == 1 && result.stderr.contains("did you mean t3.micro?"), "\(command): \(result.output)")
        }
        // Nothing was made: no RunInstances, and not even the sandbox's VPC.
        #expect(try moto.leftovers(sandbox: "ec2-sandbox").values.reduce(0, +) == 0)
        #expect(try moto.ec2("DescribeInstances").all("instancesSet").flatMap { $0.children }.isEmpty)
    }

    @Test("settings name images for the catalog, and a bad one is refused with its path")
    func settingsImages() throws {
        let firm = FirmProcess()
        defer { firm.remove() }
        firm.write("lab.json", try EC2Tests.blueprint(endpoint: "http://127.0.0.1:1") { text in
            text = text.replacingOccurrences(of: #""region": "us-east-1","#, with: #""region": "us-east-1", "catalogImages": ["ami-1e749f67", "ubuntu"],"#)
        })
        let result = try firm.run(["validate", "lab.json"])
        #expect(result.code == 1)
        #expect(result.stderr.contains("providers.aws.settings.catalogImages[1]: \"ubuntu\" is not an AMI id"), "\(result.output)")
    }
}
