import FirmBase

/// What a provider offers, in Deltacloud's terms: hardware profiles, images and realms, with
/// the deployment attributes that choose each. Apps are checked against the collections it
/// lists (in JSON, the keys present), even empty ones; a collection it does not list is not known.
public struct ProviderCatalog: Sendable, Equatable {
    public enum Collection: String, Sendable, CaseIterable {
        case hardwareProfiles, images, realms
    }

    public var hardwareProfiles: [HardwareProfile]
    public var images: [CatalogImage]
    public var realms: [CatalogRealm]
    /// The collections it lists: what apps are checked against.
    public var listed: Set<Collection>
    /// Which deployment attributes choose from the catalog.
    public var attributes: CatalogAttributes
    /// What the provider can do beyond the collections, for people (such as the linux
    /// provider's VLAN model): name to a short text, at most `mostCapabilities`.
    public var capabilities: [String: String] = [:]
    public static let mostCapabilities = 32

    /// `listed`: by default, all three.
    public init(hardwareProfiles: [HardwareProfile] = [], images: [CatalogImage] = [], realms: [CatalogRealm] = [],
                listed: Set<Collection> = Set(Collection.allCases), attributes: CatalogAttributes = CatalogAttributes()) {
        self.hardwareProfiles = hardwareProfiles
        self.images = images
        self.realms = realms
        self.listed = listed
        self.attributes = attributes
    }

    /// The most entries a collection may hold, from settings or a driver.
    public static let mostEntries = 10_000

    /// As `firm catalog --json` writes it, and as settings and drivers give it.
    public var json: JSON {
        var object = JSONObject()
        if listed.contains(.hardwareProfiles) { object["hardwareProfiles"] = .array(hardwareProfiles.map(\.json)) }
        if listed.contains(.images) { object["images"] = .array(images.map(\.json)) }
        if listed.contains(.realms) { object["realms"] = .array(realms.map(\.json)) }
        object["attributes"] = attributes.json
        if !capabilities.isEmpty {
            var described = JSONObject()
            for key in capabilities.keys.sorted() { described[key] = .string(capabilities[key]!) }
            object["capabilities"] = .object(described)
        }
        return .object(object)
    }
}

/// A hardware profile: a name, and CPU (count), memory (MiB) and storage (GiB), each when known.
public struct HardwareProfile: Sendable, Equatable {
    public var name: String
    public var architecture: String
    public var cpu: CatalogValue?
    public var memoryMiB: CatalogValue?
    public var storageGiB: CatalogValue?

    public init(name: String, architecture: String = "", cpu: CatalogValue? = nil, memoryMiB: CatalogValue? = nil, storageGiB: CatalogValue? = nil) {
        self.name = name
        self.architecture = architecture
        self.cpu = cpu
        self.memoryMiB = memoryMiB
        self.storageGiB = storageGiB
    }

    /// The property a dimension names.
    public func value(_ dimension: CatalogDimension) -> CatalogValue? {
        switch dimension {
        case .cpu: cpu
        case .memoryMiB: memoryMiB
        case .storageGiB: storageGiB
        }
    }

    public var json: JSON {
        var object = JSONObject()
        object["name"] = .string(name)
        if !architecture.isEmpty { object["architecture"] = .string(architecture) }
        for dimension in CatalogDimension.allCases { if let v = value(dimension) { object[dimension.rawValue] = v.json } }
        return .object(object)
    }
}

/// A hardware profile's properties, by their JSON names.
public enum CatalogDimension: String, Sendable, CaseIterable {
    case cpu
    case memoryMiB
    case storageGiB

    var words: String {
        switch self {
        case .cpu: "CPU count"
        case .memoryMiB: "memory (MiB)"
        case .storageGiB: "storage (GiB)"
        }
    }
}

/// An image a VM can be made from.
public struct CatalogImage: Sendable, Equatable {
    public var id: String
    public var name: String
    public var owner: String
    public var architecture: String
    /// Such as `available`; empty when not said.
    public var state: String

    public init(id: String, name: String = "", owner: String = "", architecture: String = "", state: String = "") {
        self.id = id
        self.name = name
        self.owner = owner
        self.architecture = architecture
        self.state = state
    }

    public var json: JSON {
        ["id": .string(id), "name": .string(name), "owner": .string(owner), "architecture": .string(architecture), "state": .string(state)]
    }
}

/// A realm: a datacenter or zone a VM can be placed in.
public struct CatalogRealm: Sendable, Equatable {
    public var id: String
    public var name: String
    public var state: String

    public init(id: String, name: String = "", state: String = "") {
        self.id = id
        self.name = name
        self.state = state
    }

    public var json: JSON {
        ["id": .string(id), "name": .string(name), "state": .string(state)]
    }
}

/// The deployment attributes that choose from a catalog: a profile, an image, a realm, and
/// values within the profile. Nil: the provider has no such attribute.
public struct CatalogAttributes: Sendable, Equatable {
    public var hardwareProfile: String?
    public var image: String?
    public var realm: String?
    public var cpu: String?
    public var memoryMiB: String?
    public var storageGiB: String?

    /// The names a simulated cloud, and a driver that says nothing, take.
    public init(hardwareProfile: String? = "HardwareProfile", image: String? = "Image", realm: String? = "Realm",
                cpu: String? = "CPU", memoryMiB: String? = "MemoryMiB", storageGiB: String? = "StorageGiB") {
        self.hardwareProfile = hardwareProfile
        self.image = image
        self.realm = realm
        self.cpu = cpu
        self.memoryMiB = memoryMiB
        self.storageGiB = storageGiB
    }

    static let keys = ["hardwareProfile", "image", "realm", "cpu", "memoryMiB", "storageGiB"]

    public func attribute(_ dimension: CatalogDimension) -> String? {
        switch dimension {
        case .cpu: cpu
        case .memoryMiB: memoryMiB
        case .storageGiB: storageGiB
        }
    }

    public var json: JSON {
        var object = JSONObject()
        let named: [(String, String?)] = [("hardwareProfile", hardwareProfile), ("image", image), ("realm", realm), ("cpu", cpu),
                                          ("memoryMiB", memoryMiB), ("storageGiB", storageGiB)]
        for (key, value) in named { object[key] = value.map(JSON.string) ?? .null }
        return .object(object)
    }
}
