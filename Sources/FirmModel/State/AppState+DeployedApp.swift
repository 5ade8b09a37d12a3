import FirmBase

extension AppState {
    /// The app as later provider calls see it. With an environment, `{"env": NAME}` attributes
    /// are resolved (a variable that is no longer set is left out: a delete must not fail for
    /// want of a password); without one, they are left out.
    public func deployedApp(_ name: String, environment: Environment? = nil) -> DeployedApp {
        func resolved(_ attributes: [String: AttributeValue]) -> [String: String] {
            var out = [String: String](minimumCapacity: attributes.count + deployedAttributes.count)
            for (key, value) in attributes {
                switch value {
                case .literal(let s): out[key] = s
                case .env(let variable): if let s = environment?[variable] { out[key] = s }
                // Resolved only for the deploy: later calls go to the VM it made.
                case .snapshot: break
                }
            }
            return out
        }
        var attributes = resolved(self.attributes)
        // A value the driver echoed back was redacted before it was stored; the blueprint's stands.
        for (key, value) in deployedAttributes where value != Secrets.mask || attributes[key] == nil { attributes[key] = value }
        return DeployedApp(appName: name, vmName: vmName, vmUuid: vmUuid, address: address, publicAddress: publicAddress,
                           deploymentType: deploymentPath.deploymentType, deploymentAttributes: resolved(deploymentPath.attributes),
                           attributes: attributes, additionalData: additionalData)
    }
}
