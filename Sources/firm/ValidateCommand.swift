import Firmament
import FirmBase
import FirmModel
import FirmPlanning
import FirmExecution
import FirmSession
import FirmDrift


enum ValidateCommand {
    static func run(_ args: Arguments) throws {
        try handleHelp(args, Help.validate)
        let file = try args.positionals(["BLUEPRINT"], Help.validate)[0]
        let result: Result<Blueprint, BlueprintError>
        do { result = .success(try BlueprintDecoder.load(path: file, types: args.components.providerTypes)) } catch { result = .failure(error) }
        guard args.flag("--json") else {
            let blueprint = try result.get()
            Terminal.out("\(file): valid blueprint \(quoted(blueprint.name)): \(blueprint.providers.count) provider(s), \(blueprint.apps.count) app(s), \(blueprint.networks.count) network(s), \(blueprint.connectors.count) connector(s).")
            return
        }
        switch result {
        case .success:
            Terminal.json((["valid": true, "problems": []] as JSON))
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
}
