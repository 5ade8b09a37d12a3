import FirmBase
import FirmModel

/// Saved apps on EC2: an AMI made with CreateImage from the app's instance, tagged with the
/// sandbox, the app and the snapshot's name (and its EBS snapshots tagged alike), found again
/// by those tags; deleted with DeregisterImage and DeleteSnapshot.
extension EC2Provider {
    static let snapshotTag = "firm:snapshot"
    /// How long a new image may take to become available.
    static let imageTimeout: Duration = .seconds(3600)

    /// CreateImage of the app's instance, unless the sandbox already has an image of this
    /// snapshot (an interrupted save made it), then waits until it is available.
    public func saveApp(_ request: SaveAppRequest) async throws -> SaveAppResult {
        let operation = "saveApp"
        if let found = try await image(snapshot: request.snapshot, operation) {
            return try await finished(found, app: request.app.appName, operation)
        }
        let tags = [(EC2Tags.sandbox, request.sandbox), (EC2Tags.app, request.app.appName), (Self.snapshotTag, request.snapshot),
                    ("Name", "firm-\(request.sandbox)-\(request.snapshot)")]
        let answer = try await call("CreateImage", [("InstanceId", request.app.vmUuid), ("Name", "firm-\(request.sandbox)-\(request.snapshot)"),
                                                    ("Description", "firm snapshot \(request.snapshot) of app.\(request.app.appName) in sandbox \(request.sandbox)"),
                                                    ("NoReboot", "true")]
                                    + EC2Tags.specification(1, "image", tags), operation)
        guard let id = answer.value("imageId"), EC2Deployment.isAMI(id) else {
            throw ProviderError(provider: name, operation: operation, message: "CreateImage answered no image id")
        }
        // A new image is never available at once on EC2: the first look is one interval on.
        try await Task.sleep(for: settings.pollInterval)
        return try await finished(id, app: request.app.appName, operation)
    }

    public func findSavedApp(snapshot: String, sandbox: String) async throws -> SaveAppResult? {
        guard sandbox == self.sandbox, let id = try await image(snapshot: snapshot, "findSavedApp") else { return nil }
        return try await finished(id, app: nil, "findSavedApp")
    }

    /// DeregisterImage, then DeleteSnapshot of each of its EBS snapshots; what is already gone
    /// is not an error.
    public func deleteSavedApp(_ request: DeleteSavedAppRequest) async throws {
        let operation = "deleteSavedApp"
        var ids = request.artifacts["image"].map { [$0] } ?? []
        if let found = try await image(snapshot: request.snapshot, operation), !ids.contains(found) { ids.append(found) }
        var snapshots = request.artifacts.filter { $0.key.hasPrefix("ebsSnapshot") }.map(\.value)
        for id in ids {
            if let item = try await describe(id, operation) { snapshots += Self.ebsSnapshots(item) }
            do {
                _ = try await call("DeregisterImage", [("ImageId", id)], operation)
            } catch where EC2Errors.isGoneImage(error) {}
        }
        for snapshot in Set(snapshots).sorted() {
            do {
                _ = try await call("DeleteSnapshot", [("SnapshotId", snapshot)], operation)
            } catch where EC2Errors.isNotFound(error) {}
        }
    }

    /// The account's image tagged with this sandbox and snapshot, if any (the one with the
    /// lowest id, should there be more). Its own tags are checked, whatever the filter did.
    func image(snapshot: String, _ operation: String) async throws -> String? {
        let answer = try await call("DescribeImages", [("Owner.1", "self")]
                                    + EC2Tags.filters([("tag:\(EC2Tags.sandbox)", sandbox), ("tag:\(Self.snapshotTag)", snapshot)]), operation)
        return answer.items("imagesSet").filter { item in
            let tags = EC2Tags.of(item)
            return tags[EC2Tags.sandbox] == sandbox && tags[Self.snapshotTag] == snapshot && item.value("imageState") != "deregistered"
        }.compactMap { $0.value("imageId") }.min()
    }

    func describe(_ id: String, _ operation: String) async throws -> XMLTree? {
        do {
            return try await call("DescribeImages", [("ImageId.1", id)], operation).items("imagesSet").first { $0.value("imageId") == id }
        } catch where EC2Errors.isGoneImage(error) {
            return nil
        }
    }

    /// Waits until image `id` is available; tags its EBS snapshots as the image is (`app`, or
    /// the image's own tag) and answers the SaveAppResult: the image and its snapshots, and `AMI` to deploy from it.
    func finished(_ id: String, app: String?, _ operation: String) async throws -> SaveAppResult {
        let deadline = ContinuousClock.now + Self.imageTimeout
        var item: XMLTree
        while true {
            guard let found = try await describe(id, operation) else {
                throw ProviderError(provider: name, operation: operation, message: "image \(id) vanished while firm waited for it to be available")
            }
            item = found
            let state = found.value("imageState") ?? ""
            if state == "available" { break }
            guard state == "pending" || state.isEmpty else {
                throw ProviderError(provider: name, operation: operation, message: "image \(id) is \(state): \(found.value("stateReason", "message") ?? "no reason given")")
            }
            guard ContinuousClock.now < deadline else {
                throw ProviderError(provider: name, operation: operation, message: "image \(id) was not available after \(Self.imageTimeout)", kind: .retryable)
            }
            try await Task.sleep(for: settings.pollInterval)
        }
        let snapshots = Self.ebsSnapshots(item)
        if !snapshots.isEmpty {
            let own = EC2Tags.of(item)
            let tags = [(EC2Tags.sandbox, sandbox), (EC2Tags.app, app ?? own[EC2Tags.app] ?? ""), (Self.snapshotTag, own[Self.snapshotTag] ?? "")]
            var parameters = snapshots.enumerated().map { ("ResourceId.\($0 + 1)", $1) }
            for (i, tag) in tags.enumerated() { parameters += [("Tag.\(i + 1).Key", tag.0), ("Tag.\(i + 1).Value", tag.1)] }
            _ = try await call("CreateTags", parameters, operation)
        }
        var artifacts = ["image": id]
        for (i, snapshot) in snapshots.enumerated() { artifacts["ebsSnapshot\(i + 1)"] = snapshot }
        return SaveAppResult(artifacts: artifacts, savedEntityAttributes: ["AMI": id])
    }

    /// The EBS snapshot ids of an image's block device mappings.
    static func ebsSnapshots(_ image: XMLTree) -> [String] {
        image.items("blockDeviceMapping").compactMap { $0.value("ebs", "snapshotId") }.filter { $0.hasPrefix("snap-") }
    }
}
