import FirmBase
import FirmModel

/// An image in the simulated cloud: what `saveApp` made of a VM, tagged with the sandbox, the
/// app and the snapshot's name. `pending` while the save's latency runs, then `available`.
public struct SimulatedImage: Sendable, Equatable {
    public var id: String
    public var snapshot: String
    public var sandbox: String
    public var app: String
    /// The VM it was saved from, and its deployment type.
    public var vmName: String
    public var deploymentType: String
    public var state: String

    var json: JSON {
        [
            "id": .string(id), "snapshot": .string(snapshot), "sandbox": .string(sandbox), "app": .string(app), "vmName": .string(vmName),
            "deploymentType": .string(deploymentType), "state": .string(state),
        ]
    }

    /// What a SaveApp answers for it: the image as the artifact, and `Image` to deploy from it.
    var result: SaveAppResult {
        SaveAppResult(artifacts: ["image": id], savedEntityAttributes: ["Image": id])
    }

    /// As the catalog lists it.
    var catalogImage: CatalogImage {
        CatalogImage(id: id, name: "snapshot \(snapshot) of \(sandbox)/\(app)", owner: sandbox, architecture: "x86_64", state: state)
    }
}

extension SimulatedImage {
    /// An image as a line of the world's log holds it (in an extension, so that the struct keeps
    /// its memberwise initializer).
    init?(_ json: JSONNode) {
        guard let id = json["id"]?.stringValue, let snapshot = json["snapshot"]?.stringValue, let sandbox = json["sandbox"]?.stringValue else { return nil }
        self.init(id: id, snapshot: snapshot, sandbox: sandbox, app: json["app"]?.stringValue ?? "", vmName: json["vmName"]?.stringValue ?? "",
                  deploymentType: json["deploymentType"]?.stringValue ?? "", state: json["state"]?.stringValue ?? "available")
    }
}
