import Firmament
import FirmBase
import FirmModel
import FirmPlanning
import FirmExecution
import FirmSession
import FirmDrift


enum ValidateCommand {
    static func run(_ args: Arguments) async throws {
        try handleHelp(args, Help.validate)
        let file = try args.positionals(["BLUEPRINT"], Help.validate)[0]
        let result: Result<Blueprint, BlueprintError>
        do { result = .success(try BlueprintDecoder.load(path: file, types: args.components.providerTypes)) } catch { result = .failure(error) }
        guard args.flag("--json") else {
            let blueprint = try result.get()
            Terminal.out("\(file): valid blueprint \(quoted(blueprint.name)): \(blueprint.providers.count) provider(s), \(blueprint.apps.count) app(s), \(blueprint.networks.count) network(s), \(blueprint.connectors.count) connector(s).")
            if args.flag("--online") { try await online(file, blueprint, args) }
            return
        }
        switch result {
        case .success(let blueprint):
            if args.flag("--online") { try await online(file, blueprint, args) } else { Terminal.json((["valid": true, "problems": []] as JSON)) }
        case .failure(.invalid(let d)):
            let problems: [JSON] = d.map {
                ["file": .string($0.file), "line": .int($0.position?.line ?? 0), "column": .int($0.position?.column ?? 0),
                 "path": .string($0.path), "message": .string($0.message)]
            }
            Terminal.json((["valid": false, "problems": .array(problems)] as JSON))
            throw Exit(.failure)
        case .failure(.unreadable(let file, let reason)):
            let problem: JSON = ["file": .string(file), "line": 0, "column": 0, "path": "", "message": .string(reason)]
            Terminal.json((["valid": false, "problems": [problem]] as JSON))
            throw Exit(.failure)
        }
    }

    /// `--online`: every app checked against its provider's catalog; a catalog that can't be
    /// read fails, naming the provider.
    static func online(_ file: String, _ blueprint: Blueprint, _ args: Arguments) async throws {
        let reader = try CatalogReader(blueprintFile: file, blueprint: blueprint, components: args.components, driverLog: Terminal.driverLog(args))
        let review = await reader.reviewCatalog()
        await reader.shutdown()
        var problems: [(path: String, message: String)] = review.problems.map { ($0.path, $0.message) }
        for name in review.unreadable.keys.sorted() {
            problems.append(("providers.\(name)", "the catalog could not be read: \(review.unreadable[name]!)"))
        }
        if args.flag("--json") {
            let list: [JSON] = problems.map { ["file": .string(file), "line": 0, "column": 0, "path": .string($0.path), "message": .string($0.message)] }
            let checked: [JSON] = review.catalogs.keys.sorted().map(JSON.string)
            Terminal.json((["valid": .bool(problems.isEmpty), "problems": .array(list), "catalogs": .array(checked),
                            "withoutCatalog": .array(review.withoutCatalog.map(JSON.string))] as JSON))
        } else {
            for name in review.catalogs.keys.sorted() { Terminal.out("provider \(quoted(name)): the apps were checked against its catalog.") }
            for name in review.withoutCatalog { Terminal.out("provider \(quoted(name)): has no catalog; its apps were not checked.") }
            for problem in problems { Terminal.err("\(file): \(problem.path): \(problem.message)") }
            if !problems.isEmpty { Terminal.err("\(problems.count) problem(s) found online; nothing was changed.") }
        }
        if !problems.isEmpty { throw Exit(.failure) }
    }
}
