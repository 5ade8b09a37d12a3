import FirmBase

extension CloudProvider {
    /// The VM an interrupted or failed deploy of `app` may have made, if it exists. A driver that
    /// takes the name it is given is asked for that name; one that names VMs itself is asked
    /// for its inventory of the sandbox, and a VM tagged with the app that the state does not
    /// know (`known` holds the uuids it does) is the one. Several such VMs: the first by name
    /// is adopted, and drift reports the rest. A deploy whose intent recorded a launch slot is
    /// also looked for by that slot, since a VM of a batched launch may not carry its name yet.
    public func findDeployed(app: String, vmName: String, sandbox: String, known: Set<String>, launch: LaunchSlot? = nil) async throws -> Observation? {
        if let launch, let found = try await findLaunched(launch, app: app, vmName: vmName) { return found }
        switch try await capabilities().vmNames {
        case .given:
            return try await findByName(vmName)
        case .own:
            let candidates = try await inventory(sandbox: sandbox).filter { $0.exists && $0.appName == app && !known.contains($0.vmUuid) }
            return candidates.min { $0.vmName < $1.vmName }
        }
    }

    /// Whether the VM a delete was removing still exists: observed by its uuid when that was
    /// recorded (a driver that names VMs itself may not find by name), else found by name.
    public func stillExists(app: String, vmName: String, vmUuid: String) async throws -> Observation? {
        guard !vmUuid.isEmpty else { return try await findByName(vmName) }
        let seen = try await observe([DeployedApp(appName: app, vmName: vmName, vmUuid: vmUuid)])
        // No answer is not "gone": taking it so would forget a VM that still runs.
        guard seen.count == 1, let vm = seen.first else {
            throw ProviderError(provider: name, operation: "observe", message: "answered \(seen.count) observations for 1 app")
        }
        return vm.exists ? vm : nil
    }
}
