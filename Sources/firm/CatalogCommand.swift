import Firmament
import FirmBase
import FirmModel
import FirmSession

/// `firm catalog BLUEPRINT [PROVIDER] [--json]`: what each provider offers (docs/catalog.md).
enum CatalogCommand {
    static func run(_ args: Arguments) async throws {
        try handleHelp(args, Help.catalog)
        guard (1...2).contains(args.positionals.count) else {
            _ = try args.positionals(args.positionals.isEmpty ? ["BLUEPRINT"] : ["BLUEPRINT", "PROVIDER"], Help.catalog)
            return
        }
        let file = args.positionals[0]
        let blueprint = try BlueprintDecoder.load(path: file, types: args.components.providerTypes)
        var names = blueprint.providers.keys.sorted()
        if args.positionals.count == 2 {
            let wanted = args.positionals[1]
            guard names.contains(wanted) else {
                let hint = Spelling.closest(to: wanted, among: names).map { " (did you mean \($0)?)" } ?? "; it has: " + names.joined(separator: ", ")
                throw UsageError(message: "the blueprint has no provider \(quoted(wanted))\(hint)", command: Help.catalog)
            }
            names = [wanted]
        }
        let reader = try CatalogReader(blueprintFile: file, blueprint: blueprint, components: args.components, driverLog: Terminal.driverLog(args))
        let review = await reader.readCatalogs(names, whole: true)
        await reader.shutdown()
        if args.flag("--json") {
            var providers = JSONObject()
            for name in names {
                var entry = JSONObject()
                entry["type"] = .string(blueprint.providers[name]!.type)
                if let catalog = review.catalogs[name] {
                    entry["catalog"] = catalog.json
                } else if let error = review.unreadable[name] {
                    entry["error"] = .string(error.description)
                } else {
                    entry["catalog"] = .null
                }
                providers[name] = .object(entry)
            }
            Terminal.json((["providers": .object(providers)] as JSON))
        } else {
            Terminal.out(names.map { text(name: $0, type: blueprint.providers[$0]!.type, review) }.joined(separator: "\n"), terminator: "")
        }
        if !review.unreadable.isEmpty {
            for name in review.unreadable.keys.sorted() { Terminal.err("firm: \(review.unreadable[name]!)") }
            throw Exit(.failure)
        }
    }

    static func text(name: String, type: String, _ review: CatalogReview) -> String {
        var out = "provider \(quoted(name)) (\(type))\n"
        guard let catalog = review.catalogs[name] else {
            return out + (review.unreadable[name] == nil ? "  no catalog: its apps are not checked before their deploys\n" : "  the catalog could not be read\n")
        }
        func heading(_ what: String, _ collection: ProviderCatalog.Collection, _ count: Int) -> String {
            catalog.listed.contains(collection) ? "  \(what) (\(count)):\n" : "  \(what): not listed, so not checked\n"
        }
        out += heading("hardware profiles", .hardwareProfiles, catalog.hardwareProfiles.count)
        out += table(["NAME", "CPU", "MEMORY (MiB)", "STORAGE (GiB)", "ARCHITECTURE"], catalog.hardwareProfiles.map {
            [$0.name, $0.cpu?.text ?? "-", $0.memoryMiB?.text ?? "-", $0.storageGiB?.text ?? "-", $0.architecture.isEmpty ? "-" : $0.architecture]
        })
        out += heading("images", .images, catalog.images.count)
        out += table(["ID", "NAME", "OWNER", "ARCHITECTURE", "STATE"], catalog.images.map { [$0.id, $0.name, $0.owner, $0.architecture, $0.state].map(dash) })
        out += heading("realms", .realms, catalog.realms.count)
        out += table(["ID", "NAME", "STATE"], catalog.realms.map { [$0.id, $0.name, $0.state].map(dash) })
        let a = catalog.attributes
        let chosen = [("hardware profile", a.hardwareProfile), ("image", a.image), ("realm", a.realm), ("CPU", a.cpu), ("memory", a.memoryMiB),
                      ("storage", a.storageGiB)].compactMap { what, key in key.map { "\(what) \(quoted($0))" } }
        out += "  chosen by the deployment attributes: " + (chosen.isEmpty ? "none" : chosen.joined(separator: ", ")) + "\n"
        if !catalog.capabilities.isEmpty {
            out += "  capabilities:\n" + table(["NAME", "VALUE"], catalog.capabilities.keys.sorted().map { [$0, catalog.capabilities[$0]!] })
        }
        return out
    }

    static func dash(_ text: String) -> String { text.isEmpty ? "-" : text }

    /// Left-aligned columns under `header`, indented four spaces; nothing when there are no rows.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        rows.isEmpty ? "" : TextTable.aligned([header] + rows, indent: "    ") + "\n"
    }
}
