import Firmament
import FirmBase
import FirmModel

/// `firm schema`: the blueprint's JSON Schema on stdout, for editors and CI.
enum SchemaCommand {
    static func run(_ args: Arguments) throws {
        try handleHelp(args, Help.schema)
        _ = try args.positionals([], Help.schema)
        Terminal.json(BlueprintSchema.document(types: BuiltIn.providerTypes))
    }
}
