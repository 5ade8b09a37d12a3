import FirmBase
import FirmModel

extension ProcessDriver {
    /// The optional `catalog` method (docs/drivers.md), when the driver lists it in its
    /// `operations`: asked with the sandbox, the apps' literal deployment attributes and whether
    /// the whole catalog is wanted; its answer is read as settings are, bounded, with paths.
    public func catalog(_ query: CatalogQuery) async throws -> ProviderCatalog? {
        let hello = try await connection.started()
        guard hello["operations"]?.arrayValue?.contains(.string("catalog")) == true else { return nil }
        let apps = JSON.sortedObject(query.deployments.mapValues { JSON.sortedObject($0) })
        let answer = try await connection.call("catalog", ["sandbox": .string(sandbox), "apps": apps, "whole": .bool(query.whole)])
        return try CatalogDecoder.decode(answer, provider: name)
    }
}
