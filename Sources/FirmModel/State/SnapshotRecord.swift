import FirmBase

/// A saved app (docs/snapshots.md): what `firm snapshot` made of a deployed app, as the state
/// records it. It is recorded `saving` before the provider is asked, and `available` with its
/// artifacts once the provider answered, so that a run killed in between finds what the
/// provider made (by its tags) instead of making a second one.
public struct SnapshotRecord: Sendable, Equatable {
    public enum Status: String, Sendable, Equatable, CaseIterable {
        /// Asked for; what the provider made, if anything, is not recorded yet.
        case saving
        /// Made, with its artifacts.
        case available
    }

    /// The app it was saved from, and that app's provider and deployment type.
    public var app: String
    public var provider: String
    public var deploymentType: String
    /// The VM it was saved from.
    public var vmName: String
    public var vmUuid: String
    /// When it was asked for (Timestamp text).
    public var created: String
    public var status: Status
    /// CloudShell's SaveAppResult artifacts: artifact name -> reference, such as
    /// `"image": "ami-0123…"` or an EBS snapshot id.
    public var artifacts: [String: String]
    /// CloudShell's savedEntityAttributes: the deployment attributes that deploy a new VM from
    /// it (EC2: `AMI`), which replace an app's `"image": {"snapshot": NAME}`.
    public var restore: [String: String]

    public init(app: String, provider: String, deploymentType: String, vmName: String, vmUuid: String, created: String,
                status: Status = .saving, artifacts: [String: String] = [:], restore: [String: String] = [:]) {
        self.app = app
        self.provider = provider
        self.deploymentType = deploymentType
        self.vmName = vmName
        self.vmUuid = vmUuid
        self.created = created
        self.status = status
        self.artifacts = artifacts
        self.restore = restore
    }

    public var json: JSON {
        [
            "app": .string(app), "provider": .string(provider), "deploymentType": .string(deploymentType), "vmName": .string(vmName),
            "vmUuid": .string(vmUuid), "created": .string(created), "status": .string(status.rawValue),
            "artifacts": .sortedObject(artifacts), "restore": .sortedObject(restore),
        ]
    }

    package static func decode(_ node: JSONNode, _ path: JSONPath, _ c: inout DecodingContext) -> SnapshotRecord? {
        let keys = ["app", "provider", "deploymentType", "vmName", "vmUuid", "created", "status", "artifacts", "restore"]
        guard let f = c.members(of: node, at: path, allowed: keys, required: keys),
            let app = f["app"].flatMap({ c.name($0, at: path.key("app"), what: "app") }),
            let provider = f["provider"].flatMap({ c.name($0, at: path.key("provider"), what: "provider") }),
            let type = f["deploymentType"].flatMap({ c.string($0, at: path.key("deploymentType")) }),
            let vmName = f["vmName"].flatMap({ c.string($0, at: path.key("vmName")) }),
            let vmUuid = f["vmUuid"].flatMap({ c.string($0, at: path.key("vmUuid")) }),
            let created = SandboxRecord.timestamp(f["created"], path.key("created"), &c),
            let status = f["status"].flatMap({ c.choice($0, at: path.key("status"), Status.allCases.map(\.rawValue)) }).flatMap(Status.init(rawValue:)),
            let artifacts = f["artifacts"].map({ AppState.stringMap($0, path.key("artifacts"), &c) }),
            let restore = f["restore"].map({ AppState.stringMap($0, path.key("restore"), &c) })
        else { return nil }
        return SnapshotRecord(app: app, provider: provider, deploymentType: type, vmName: vmName, vmUuid: vmUuid, created: created,
                              status: status, artifacts: artifacts, restore: restore)
    }
}

extension State {
    /// The apps whose deployment attribute `image` is `{"snapshot": name}`, sorted.
    public func apps(restoringFrom name: String) -> [String] {
        apps.keys.filter { apps[$0]!.deploymentPath.snapshot == name }.sorted()
    }
}

extension DeploymentPath {
    /// The snapshot its `image` attribute names, if it names one.
    public var snapshot: String? {
        if case .snapshot(let name)? = attributes["image"] { return name }
        return nil
    }
}

extension SnapshotRecord {
    /// `attributes` with `"image": {"snapshot": name}` replaced by the snapshot's `restore`
    /// attributes (which win over the app's own), or the reason it can't be.
    public static func restoring(_ attributes: [String: AttributeValue], app: String, provider: String,
                                 snapshots: [String: SnapshotRecord]) throws(SnapshotError) -> [String: AttributeValue] {
        guard case .snapshot(let name)? = attributes["image"] else { return attributes }
        guard let record = snapshots[name] else { throw .unknown(snapshot: name, app: app, known: snapshots.keys.sorted()) }
        guard record.status == .available else { throw .notAvailable(snapshot: name, app: app) }
        guard record.provider == provider else { throw .otherProvider(snapshot: name, app: app, provider: provider, its: record.provider) }
        var out = attributes
        out["image"] = nil
        for (key, value) in record.restore { out[key] = .literal(value) }
        return out
    }
}
