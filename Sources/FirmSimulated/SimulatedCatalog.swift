import FirmBase
import FirmModel

/// The simulated cloud's catalog: what it offers unless its settings' `catalog` says otherwise,
/// and the check that refuses a deploy outside it.
enum SimulatedCatalog {
    /// Three fixed profiles and one with ranges and an enumeration; three images (one
    /// deprecated); three realms (one unavailable).
    static let standard = ProviderCatalog(
        hardwareProfiles: [
            HardwareProfile(name: "small", architecture: "x86_64", cpu: .fixed(1), memoryMiB: .fixed(1024), storageGiB: .fixed(10)),
            HardwareProfile(name: "medium", architecture: "x86_64", cpu: .fixed(2), memoryMiB: .fixed(4096), storageGiB: .fixed(40)),
            HardwareProfile(name: "large", architecture: "x86_64", cpu: .fixed(4), memoryMiB: .fixed(16384), storageGiB: .fixed(160)),
            HardwareProfile(name: "custom", architecture: "x86_64", cpu: .range(min: 1, max: 16, step: 1),
                            memoryMiB: .enumeration([1024, 2048, 4096, 8192, 16384, 32768]), storageGiB: .range(min: 10, max: 1000, step: 10)),
        ],
        images: [
            CatalogImage(id: "sim-ubuntu-24.04", name: "Ubuntu 24.04 LTS", owner: "firmament", architecture: "x86_64", state: "available"),
            CatalogImage(id: "sim-debian-12", name: "Debian 12", owner: "firmament", architecture: "x86_64", state: "available"),
            CatalogImage(id: "sim-centos-7", name: "CentOS 7", owner: "firmament", architecture: "x86_64", state: "deprecated"),
        ],
        realms: [
            CatalogRealm(id: "sim-a", name: "Simulated A", state: "available"),
            CatalogRealm(id: "sim-b", name: "Simulated B", state: "available"),
            CatalogRealm(id: "sim-c", name: "Simulated C", state: "unavailable"),
        ])

    /// Refuses a deploy whose attributes fall outside the catalog, naming the app, the
    /// attribute and what is offered.
    static func check(_ request: DeployRequest, _ catalog: ProviderCatalog, provider: String) throws(ProviderError) {
        let problems = CatalogCheck.problems(app: request.appName, provider: provider, attributes: request.deploymentAttributes, catalog: catalog)
        guard !problems.isEmpty else { return }
        throw ProviderError(provider: provider, operation: "deploy", message: problems.map(\.description).joined(separator: "; "), code: "NotInCatalog")
    }
}
