import FirmBase

/// What a catalog is read for: the literal deployment attributes of the apps about to be
/// checked, so that a cloud whose public catalogue is too large to list (EC2) can look up the
/// images they name, and only those.
public struct CatalogQuery: Sendable, Equatable {
    /// App name -> its literal deployment attributes.
    public var deployments: [String: [String: String]]
    /// Whether the whole catalog is wanted (`firm catalog`), or only what checking the apps
    /// needs (validation, plans), which a provider may read more cheaply.
    public var whole: Bool

    public init(deployments: [String: [String: String]] = [:], whole: Bool = true) {
        self.deployments = deployments
        self.whole = whole
    }

    /// The distinct values of `attribute` across the apps, sorted, at most `most`.
    public func values(of attribute: String, most: Int) -> [String] {
        Array(Set(deployments.values.compactMap { $0[attribute] }).sorted().prefix(most))
    }
}
