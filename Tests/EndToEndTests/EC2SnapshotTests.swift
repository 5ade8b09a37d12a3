import Foundation
import Testing
@testable import FirmBase
@testable import FirmEC2
import FirmTestSupport

/// Snapshots on the ec2 provider, through `firm`, against moto's server.
@Suite("End to end: EC2 snapshots on moto", .serialized)
struct EC2SnapshotTests {
    /// The account's images tagged with the sandbox and `snapshot`.
    static func images(_ moto: MotoServer, snapshot: String) throws -> [XMLTree] {
        try moto.ec2("DescribeImages", [("Owner.1", "self"), ("Filter.1.Name", "tag:firm:snapshot"), ("Filter.1.Value.1", snapshot)]).items("imagesSet")
    }

    static func blueprint(_ moto: MotoServer, copy: Bool) throws -> String {
        try EC2Tests.blueprint(endpoint: moto.endpoint) { text in
            // Each look at a new image waits this long: time for the test to kill firm mid-save.
            text = text.replacingOccurrences(of: #""region": "us-east-1","#, with: #""region": "us-east-1", "pollInterval": "3s","#)
            guard copy else { return }
            text = text.replacingOccurrences(of: #"    "batch": {"#, with: """
                    "copy": {
                      "deploymentPath": { "provider": "aws", "deploymentType": "instance",
                                          "attributes": { "image": { "snapshot": "golden" }, "InstanceType": "t3.micro" } }
                    },
                    "batch": {
                """)
            text = text.replacingOccurrences(of: #"{ "from": "batch", "to": "private" }"#, with: #"{ "from": "batch", "to": "private" }, { "from": "copy", "to": "private" }"#)
        }
    }

    @Test("snapshot killed with SIGKILL after CreateImage leaves one image, which the next run records; an app restored from it runs that image; delete deregisters it and its EBS snapshot",
          .enabled(if: MotoServer.required))
    func lifecycle() throws {
        let moto = try MotoServer()
        defer { moto.stop() }
        let firm = FirmProcess()
        defer { firm.remove() }
        let env = moto.environment
        firm.write("lab.json", try Self.blueprint(moto, copy: false))
        let apply = try firm.run(["apply", "lab.json", "--auto-approve"], environment: env)
        #expect(apply.code == 0, "\(apply.output)")
        let api = try #require(try moto.instances(sandbox: "ec2-sandbox")["api"]?.first)

        // Killed once CreateImage has made the image, before the image is recorded.
        let (process, _, _) = try firm.start(["snapshot", "lab.json", "app.api", "--name", "golden"], environment: env)
        #expect(waitUntil(.seconds(30)) { ((try? Self.images(moto, snapshot: "golden"))?.count ?? 0) > 0 || !process.isRunning })
        #expect(process.isRunning, "firm was still waiting for the image")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(try Self.images(moto, snapshot: "golden").count == 1)

        let settled = try firm.run(["snapshot", "list", "lab.json", "--json"], environment: env)
        #expect(settled.code == 0, "\(settled.output)")
        #expect(settled.stderr.contains("snapshot golden: an interrupted save had made ") && settled.stderr.contains("image ami-")
                && settled.stderr.contains("; recorded it"), "\(settled.output)")
        let record = try JSONReader.parse(settled.stdout).plain["snapshots"]?["golden"]
        #expect(record?["status"] == "available" && record?["app"] == "api", "\(settled.stdout)")
        let ami = try #require(record?["artifacts"]?["image"]?.stringValue)
        #expect(record?["restore"]?["AMI"]?.stringValue == ami)
        let again = try firm.run(["snapshot", "lab.json", "app.api", "--name", "golden"], environment: env)
        #expect(again.code == 1 && again.stderr.contains("already exists"), "\(again.output)")
        let images = try Self.images(moto, snapshot: "golden")
        #expect(images.count == 1 && images.first?.value("imageId") == ami, "one image, never two")
        let tags = EC2Tags.of(try #require(images.first))
        #expect(tags["firm:sandbox"] == "ec2-sandbox" && tags["firm:app"] == "api" && tags["firm:snapshot"] == "golden", "\(tags)")
        let ebs = try #require(record?["artifacts"]?["ebsSnapshot1"]?.stringValue, "its EBS snapshot is an artifact")
        let ebsTags = try moto.ec2("DescribeSnapshots", [("SnapshotId.1", ebs)]).items("snapshotSet").first.map(EC2Tags.of)
        #expect(ebsTags?["firm:sandbox"] == "ec2-sandbox" && ebsTags?["firm:snapshot"] == "golden", "the EBS snapshot is tagged too: \(String(describing: ebsTags))")

        // A second app deployed from the snapshot: moto shows its instance made from that image.
        firm.write("lab.json", try Self.blueprint(moto, copy: true))
        let restored = try firm.run(["apply", "lab.json", "--auto-approve"], environment: env)
        #expect(restored.code == 0, "\(restored.output)")
        let copy = try #require(try moto.instances(sandbox: "ec2-sandbox")["copy"]?.first)
        let described = try moto.ec2("DescribeInstances", [("InstanceId.1", copy.id)]).all("imageId").first?.text
        #expect(described == ami, "the restored instance runs the snapshot's image")
        #expect(copy.id != api.id)

        let inUse = try firm.run(["snapshot", "delete", "lab.json", "golden"], environment: env)
        #expect(inUse.code == 1 && inUse.stderr.contains("still deployed from by app.copy"), "\(inUse.output)")

        firm.write("lab.json", try Self.blueprint(moto, copy: false))
        #expect(try firm.run(["apply", "lab.json", "--auto-approve"], environment: env).code == 0)
        let deleted = try firm.run(["snapshot", "delete", "lab.json", "golden"], environment: env)
        #expect(deleted.code == 0, "\(deleted.output)")
        #expect(try Self.images(moto, snapshot: "golden").isEmpty, "DeregisterImage")
        let left = try moto.ec2("DescribeSnapshots", [("Owner.1", "self")]).items("snapshotSet").compactMap { $0.value("snapshotId") }
        #expect(!left.contains(ebs), "DeleteSnapshot of its EBS snapshot")
        #expect(try firm.run(["destroy", "lab.json", "--auto-approve"], environment: env).code == 0)
    }
}
