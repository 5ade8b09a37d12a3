import FirmBase
import FirmModel

/// Saved apps in the simulated cloud: images in its world, tagged with the sandbox, the app
/// and the snapshot's name.
extension SimulatedCloud {
    /// Makes the image at once as `pending`, waits for the save's latency (and injected
    /// failures, which remove it), then makes it `available`. A save of a snapshot the sandbox
    /// already has an image for answers that image: it never makes a second.
    public func saveApp(_ request: SaveAppRequest) async throws -> SaveAppResult {
        let providerName = name
        let made = try await transact("saveApp") { world -> SimulatedImage in
            if let image = world.image(snapshot: request.snapshot, sandbox: request.sandbox) { return image }
            guard let vm = world.vm(uuid: request.app.vmUuid) ?? world.vm(name: request.app.vmName) else {
                throw ProviderError(provider: providerName, operation: "saveApp", message: "VM \(quoted(request.app.vmName)) does not exist")
            }
            let image = SimulatedImage(id: "simimg-" + UUIDText.hex(8), snapshot: request.snapshot, sandbox: request.sandbox, app: request.app.appName,
                                       vmName: vm.vmName, deploymentType: vm.deploymentType, state: "pending")
            world.putImage(image)
            return image
        }
        guard made.state == "pending" else { return made.result }
        do {
            try await enter(.saveApp, apps: [request.app.appName])
        } catch {
            _ = try? await transact("saveApp") { world in world.deleteImage(made.id) }
            throw error
        }
        return try await available(made.id, operation: "saveApp").result
    }

    /// The image saved as `snapshot` of `sandbox`; one left `pending` by a firm that was killed
    /// is finished (the cloud finishes what it started).
    public func findSavedApp(snapshot: String, sandbox: String) async throws -> SaveAppResult? {
        guard let image = try await transact("findSavedApp", { world in world.image(snapshot: snapshot, sandbox: sandbox) }) else { return nil }
        return image.state == "pending" ? try await available(image.id, operation: "findSavedApp").result : image.result
    }

    public func deleteSavedApp(_ request: DeleteSavedAppRequest) async throws {
        try await enter(.deleteSavedApp, apps: [])
        try await transact("deleteSavedApp") { world in
            if let id = request.artifacts["image"], world.images[id] != nil { world.deleteImage(id) }
            if let image = world.image(snapshot: request.snapshot, sandbox: request.sandbox) { world.deleteImage(image.id) }
        }
    }

    /// Every image in this provider's world, by id.
    public func allImages() async throws -> [SimulatedImage] {
        try await transact("list") { world in world.images.values.sorted { $0.id < $1.id } }
    }

    private func available(_ id: String, operation: String) async throws -> SimulatedImage {
        let providerName = name
        return try await transact(operation) { world -> SimulatedImage in
            guard var image = world.images[id] else {
                throw ProviderError(provider: providerName, operation: operation, message: "image \(quoted(id)) vanished during its save")
            }
            if image.state != "available" {
                image.state = "available"
                world.putImage(image)
            }
            return image
        }
    }

    /// Refuses a deploy outside the catalog; an image saved in the world counts as offered.
    func checkCatalog(_ request: DeployRequest) async throws {
        var catalog = settings.catalog
        if let image = request.deploymentAttributes["Image"], catalog.listed.contains(.images), !catalog.images.contains(where: { $0.id == image || $0.name == image }) {
            let saved = try await transact("deploy") { world in world.images[image] }
            if let saved, saved.state == "available" { catalog.images.append(saved.catalogImage) }
        }
        try SimulatedCatalog.check(request, catalog, provider: name)
    }
}
