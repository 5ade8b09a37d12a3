import Synchronization
import FirmBase
import FirmModel

/// EC2's catalog in Deltacloud's terms: instance types are hardware profiles
/// (DescribeInstanceTypes), images are the account's own AMIs, those the settings'
/// `catalogImages` name and those the apps being checked name (DescribeImages; never the whole
/// public catalogue), and availability zones are realms (DescribeAvailabilityZones). Lists are
/// read in bounded pages, and kept for the run.
struct EC2Catalog {
    let client: EC2Client
    let provider: String
    /// The most results asked for per page, and the most pages read of one list.
    static let pageSize = 100, mostPages = 100
    static let operation = "catalog"
    /// The deployment attributes that choose from it: EC2 has no realm or size attributes.
    static let attributes = CatalogAttributes(hardwareProfile: "InstanceType", image: "AMI", realm: nil, cpu: nil, memoryMiB: nil, storageGiB: nil)

    /// What does not depend on the apps: instance types, zones, and the account's and settings' images.
    func listing(named: [String]) async throws -> ProviderCatalog {
        async let types = pages("DescribeInstanceTypes", [], set: "instanceTypeSet")
        async let zones = client.call("DescribeAvailabilityZones", [], operation: Self.operation)
        async let owned = pages("DescribeImages", [("Owner.1", "self")], set: "imagesSet")
        async let listed = images(named)
        let profiles = try await types.compactMap(Self.profile)
        let realms = try await zones.items("availabilityZoneInfo").compactMap(Self.realm)
        var seen = Set<String>()
        let all = try await (owned.compactMap(Self.image) + listed).filter { seen.insert($0.id).inserted }
        return ProviderCatalog(hardwareProfiles: profiles, images: all, realms: realms, attributes: Self.attributes)
    }

    /// These instance types; EC2 refuses the call (InvalidInstanceType) when one does not exist.
    func instanceTypes(_ names: [String]) async throws -> [HardwareProfile] {
        let parameters = names.enumerated().map { ("InstanceType.\($0.offset + 1)", $0.element) }
        return try await client.call("DescribeInstanceTypes", parameters, operation: Self.operation).items("instanceTypeSet").compactMap(Self.profile)
    }

    /// The images with these ids that exist, in chunks of `pageSize`; a chunk EC2 refuses for
    /// an id it does not know is asked again one id at a time, and the unknown ones left out.
    func images(_ ids: [String]) async throws -> [CatalogImage] {
        var found: [CatalogImage] = []
        var start = 0
        while start < ids.count {
            let chunk = Array(ids[start..<min(ids.count, start + Self.pageSize)])
            start += chunk.count
            do {
                found += try await describe(chunk)
            } catch let error as ProviderError where Self.isUnknownImage(error) {
                for id in chunk {
                    do { found += try await describe([id]) } catch let error as ProviderError where Self.isUnknownImage(error) { continue }
                }
            }
        }
        return found
    }

    private func describe(_ ids: [String]) async throws -> [CatalogImage] {
        let parameters = ids.enumerated().map { ("ImageId.\($0.offset + 1)", $0.element) }
        let wanted = Set(ids)
        // An endpoint that ignores the ids would answer the public catalogue: only those asked for are kept.
        return try await client.call("DescribeImages", parameters, operation: Self.operation).items("imagesSet").compactMap(Self.image).filter { wanted.contains($0.id) }
    }

    static func isUnknownImage(_ error: ProviderError) -> Bool {
        guard let code = error.code else { return false }
        return code.hasPrefix("InvalidAMIID")
    }

    /// Every item of a paginated list: at most `mostPages` pages of `pageSize`, each token new,
    /// and at most `ProviderCatalog.mostEntries` items.
    func pages(_ action: String, _ parameters: [(String, String)], set: String) async throws -> [XMLTree] {
        var items: [XMLTree] = []
        try await client.paged(action, parameters, pageSize: Self.pageSize, maxPages: Self.mostPages, operation: Self.operation) { answer in
            items += answer.items(set)
            guard items.count <= ProviderCatalog.mostEntries else {
                throw ProviderError(provider: provider, operation: Self.operation, message: "\(action) listed more than \(ProviderCatalog.mostEntries) entries")
            }
        }
        return items
    }

    static func number(_ text: String?) -> CatalogValue? {
        guard let text, let value = Double(text) else { return nil }
        return .fixed(value)
    }

    /// An instance type as a hardware profile: its default vCPUs, memory and instance storage.
    static func profile(_ item: XMLTree) -> HardwareProfile? {
        guard let name = item.value("instanceType"), !name.isEmpty else { return nil }
        let architectures = item["processorInfo"]?.items("supportedArchitectures").map(\.text) ?? []
        return HardwareProfile(name: name, architecture: architectures.joined(separator: ","), cpu: number(item.value("vCpuInfo", "defaultVCpus")),
                               memoryMiB: number(item.value("memoryInfo", "sizeInMiB")), storageGiB: number(item.value("instanceStorageInfo", "totalSizeInGB")))
    }

    static func image(_ item: XMLTree) -> CatalogImage? {
        guard let id = item.value("imageId"), !id.isEmpty else { return nil }
        return CatalogImage(id: id, name: item.value("name") ?? "", owner: item.value("imageOwnerAlias") ?? item.value("imageOwnerId") ?? "",
                            architecture: item.value("architecture") ?? "", state: item.value("imageState") ?? "")
    }

    static func realm(_ item: XMLTree) -> CatalogRealm? {
        guard let zone = item.value("zoneName"), !zone.isEmpty else { return nil }
        return CatalogRealm(id: zone, name: item.value("zoneId") ?? "", state: item.value("zoneState") ?? "")
    }
}

/// The catalog's lists, read once per run and shared by concurrent callers; images looked up
/// by id are kept too. A failed read is not kept.
final class EC2CatalogCache: Sendable {
    private struct State {
        var listing: Task<ProviderCatalog, any Error>?
        var images: [String: CatalogImage?] = [:]
    }
    private let state = Mutex(State())

    init() {}

    func listing(_ read: @escaping @Sendable () async throws -> ProviderCatalog) async throws -> ProviderCatalog {
        let task = state.withLock { state in
            if let task = state.listing { return task }
            let task = Task { try await read() }
            state.listing = task
            return task
        }
        do {
            return try await task.value
        } catch {
            state.withLock { if $0.listing == task { $0.listing = nil } }
            throw error
        }
    }

    /// The ids not looked up yet, and the images already found among `ids`.
    func known(_ ids: [String]) -> (missing: [String], found: [CatalogImage]) {
        state.withLock { state in
            (ids.filter { state.images[$0] == nil }, ids.compactMap { state.images[$0] ?? nil })
        }
    }

    func keep(_ ids: [String], found: [CatalogImage]) {
        state.withLock { state in
            for id in ids { state.images[id] = .some(nil) }
            for image in found { state.images[image.id] = image }
        }
    }
}

extension EC2Provider {
    /// The whole catalog, or for checking apps only what they name: their instance types (all
    /// of them, for a did-you-mean, when one is unknown) and their images, looked up by id.
    public func catalog(_ query: CatalogQuery) async throws -> ProviderCatalog? {
        let reader = EC2Catalog(client: try connection.client().client, provider: name)
        let cache = catalogCache
        let named = settings.catalogImages
        let asked = query.values(of: "AMI", most: 1_000).filter(EC2Deployment.isAMI)
        let (missing, known) = cache.known(asked)
        let found = try await reader.images(missing)
        cache.keep(missing, found: found)
        let appImages = known + found
        if query.whole {
            var catalog = try await cache.listing { try await reader.listing(named: named) }
            let listed = Set(catalog.images.map(\.id))
            catalog.images += appImages.filter { !listed.contains($0.id) }
            return catalog
        }
        let types = query.values(of: "InstanceType", most: EC2Catalog.pageSize).filter(EC2Deployment.isInstanceType)
        var profiles: [HardwareProfile] = []
        if !types.isEmpty {
            do {
                profiles = try await reader.instanceTypes(types)
            } catch let error as ProviderError where error.code == "InvalidInstanceType" {
                profiles = try await cache.listing { try await reader.listing(named: named) }.hardwareProfiles
            }
        }
        return ProviderCatalog(hardwareProfiles: profiles, images: appImages, listed: types.isEmpty ? [.images] : [.hardwareProfiles, .images],
                               attributes: EC2Catalog.attributes)
    }
}
