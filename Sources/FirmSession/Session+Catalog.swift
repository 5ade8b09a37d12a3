import FirmBase
import FirmModel
import FirmExecution
import FirmPlanning

/// The blueprint's apps checked against their providers' catalogs (docs/catalog.md).
public struct CatalogReview: Sendable {
    /// Provider name -> its catalog, for those that have one.
    public var catalogs: [String: ProviderCatalog] = [:]
    /// Providers that have no catalog: their apps are not checked.
    public var withoutCatalog: [String] = []
    /// Providers whose catalog could not be read, with why.
    public var unreadable: [String: ProviderError] = [:]
    /// Every app attribute outside its provider's catalog, by app and path.
    public var problems: [CatalogProblem] = []

    /// One line per unreadable catalog, for a plan's warnings.
    public var warnings: [String] {
        unreadable.keys.sorted().map { "the catalog of provider \(quoted($0)) could not be read, so its apps were not checked against it: \(unreadable[$0]!)" }
    }
}

/// Apps whose deployment attributes fall outside their providers' catalogs.
public struct CatalogRefusal: Error, CustomStringConvertible {
    public var problems: [CatalogProblem]

    public init(problems: [CatalogProblem]) { self.problems = problems }

    public var description: String {
        problems.map(\.description).joined(separator: "\n") + "\n\(problems.count) app attribute\(problems.count == 1 ? " is" : "s are") outside the provider's catalog; nothing was deployed (see `firm catalog`)."
    }
}

/// Reads catalogs and checks apps against them, for a blueprint and its started drivers: a
/// session's, or those `validate --online` and `firm catalog` start without a state.
public struct CatalogReader: Sendable {
    public let blueprint: Blueprint
    public let providers: [String: any CloudProvider]

    public init(blueprint: Blueprint, providers: [String: any CloudProvider]) {
        self.blueprint = blueprint
        self.providers = providers
    }

    /// Starts the drivers of the blueprint in `blueprintFile`, with no state.
    public init(blueprintFile: String, blueprint: Blueprint, components: Components, driverLog: (@Sendable (String) -> Void)? = nil) throws {
        let home = try SandboxHome.folder(forBlueprint: blueprintFile)
        let sandbox = try SandboxHome.sandbox(nil, blueprint: blueprint.name)
        let providers = try ProviderFactory.make(blueprint, types: components.providerTypes, sandbox: sandbox, baseDirectory: home,
                                                 secrets: Secrets(blueprint.secretValues(.process)), driverLog: driverLog)
        self.init(blueprint: blueprint, providers: providers)
    }

    /// Shuts every driver down.
    public func shutdown() async {
        for name in providers.keys.sorted() { await providers[name]!.shutdown() }
    }

    /// Reads the catalogs of `providers` (every provider when nil), each once and all at once,
    /// with the literal attributes of `apps` (every app when nil) on each as the query; `whole`
    /// asks for the whole catalog rather than what checking them needs.
    public func readCatalogs(_ names: [String]? = nil, apps: [String]? = nil, whole: Bool = false) async -> CatalogReview {
        let chosen = Set(apps ?? Array(blueprint.apps.keys))
        var queries: [String: CatalogQuery] = [:]
        for name in names ?? Array(providers.keys) { queries[name] = CatalogQuery(whole: whole) }
        for (app, spec) in blueprint.apps where chosen.contains(app) {
            queries[spec.deploymentPath.provider]?.deployments[app] = CatalogCheck.literals(spec.deploymentPath)
        }
        var review = CatalogReview()
        await withTaskGroup(of: (String, Result<ProviderCatalog?, ProviderError>).self) { group in
            for (name, query) in queries {
                guard let provider = providers[name] else { continue }
                group.addTask {
                    do {
                        return (name, .success(try await RetryPolicy(provider).run { _ in try await provider.catalog(query) }))
                    } catch let error as ProviderError {
                        return (name, .failure(error))
                    } catch {
                        return (name, .failure(ProviderError(provider: name, operation: "catalog", message: "\(error)")))
                    }
                }
            }
            for await (name, result) in group {
                switch result {
                case .success(let catalog?): review.catalogs[name] = catalog
                case .success(nil): review.withoutCatalog.append(name)
                case .failure(let error): review.unreadable[name] = error
                }
            }
        }
        review.withoutCatalog.sort()
        return review
    }

    /// Checks `apps` (every app when nil) against their providers' catalogs; only the providers
    /// they use are asked.
    public func reviewCatalog(apps: [String]? = nil) async -> CatalogReview {
        let names = (apps ?? Array(blueprint.apps.keys)).sorted()
        let used = Set(names.compactMap { blueprint.apps[$0]?.deploymentPath.provider })
        guard !used.isEmpty else { return CatalogReview() }
        var review = await readCatalogs(Array(used), apps: names)
        for app in names {
            guard let spec = blueprint.apps[app], let catalog = review.catalogs[spec.deploymentPath.provider] else { continue }
            review.problems += CatalogCheck.problems(app: app, provider: spec.deploymentPath.provider,
                                                     attributes: CatalogCheck.literals(spec.deploymentPath), catalog: catalog)
        }
        return review
    }
}

extension Session {
    public var catalogReader: CatalogReader { CatalogReader(blueprint: blueprint, providers: providers) }

    /// The apps `plan` deploys (or replaces), checked against their providers' catalogs before
    /// any deploy: a problem refuses the plan; a catalog that can't be read is a warning.
    /// `skipping` names providers a plan does not start (`unstartable`).
    public func checkCatalog(_ plan: Plan, skipping: Set<String> = []) async throws(CatalogRefusal) -> [String] {
        let deploying = plan.actions.compactMap { action -> String? in
            guard !skipping.contains(action.provider) else { return nil }
            switch action.kind {
            case .deploy(let app, _), .replace(let app, _): return app
            default: return nil
            }
        }
        guard !deploying.isEmpty else { return [] }
        let review = await catalogReader.reviewCatalog(apps: deploying)
        if !review.problems.isEmpty { throw CatalogRefusal(problems: review.problems) }
        return review.warnings
    }
}
