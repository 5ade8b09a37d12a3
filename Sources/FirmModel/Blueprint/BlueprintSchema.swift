import FirmBase

/// The blueprint's JSON Schema (draft 2020-12), for editors: made from `BlueprintShape`, whose
/// keys the decoder reads, and from each provider type's entry keys, settings and deployment
/// paths, so that the schema and the decoder can't drift apart. docs/blueprint.md lists the
/// rules a schema can't state, which only `firm validate` checks.
public enum BlueprintSchema {
    /// The whole schema for the provider types of `types`.
    public static func document(types: ProviderTypeRegistry) -> JSON {
        var definitions: [(String, JSON)] = [("provider", provider(types))]
        definitions += types.all.map { ("settings." + $0.name, JSONShape.about("The settings of a provider of type \(quoted($0.name)).", $0.settingsShape).schema) }
        definitions += [("app", BlueprintShape.app.schema), ("deploymentPath", deploymentPath(types))]
        definitions += types.all.compactMap { type in
            type.deploymentShape.map { ("deployment." + type.name, open($0.schema, about: "An app's deployment path on a provider of type \(quoted(type.name)).")) }
        }
        definitions += [("attributes", BlueprintShape.attributes.schema), ("env", BlueprintShape.env.schema), ("snapshot", BlueprintShape.snapshot.schema),
                        ("network", BlueprintShape.network.schema), ("connector", BlueprintShape.connector.schema)]
        return JSONShape.schemaDocument(title: "Firmament blueprint",
                                        description: "A Firmament blueprint, format version 1 (docs/blueprint.md). Printed by `firm schema`.",
                                        root: .object(BlueprintShape.top), definitions: definitions)
    }

    /// A provider's entry: the keys every type takes and each type's own, and per type (an
    /// `if` on `type`) its connectivities, its settings, its required keys, and no other type's keys.
    static func provider(_ types: ProviderTypeRegistry) -> JSON {
        // `type` takes the registry's names, which BlueprintShape can't know.
        var fields = BlueprintShape.providerEntry.fields.map { field in
            field.name == "type" ? ObjectShape.Field("type", .about("The driver type.", .choice(types.names)), required: true) : field
        }
        for field in types.entryFields where !fields.contains(where: { $0.name == field.name }) {
            fields.append(.init(field.name, field.shape))
        }
        guard case .object(var entry) = ObjectShape(fields).schema else { return .null }
        entry["allOf"] = .array(types.all.map { type in
            var properties = JSONObject([("connectivity", .object(JSONObject([("enum", .array(type.connectivities.map { .string($0.rawValue) }))]))),
                                         ("settings", .object(JSONObject([("$ref", .string("#/$defs/settings." + type.name))])))])
            for key in types.entryKeys where !type.entryKeys.contains(key) { properties[key] = .bool(false) }
            var then = JSONObject([("properties", .object(properties))])
            let required = type.entryFields.filter(\.isRequired).map(\.name)
            if !required.isEmpty { then["required"] = .array(required.map(JSON.string)) }
            let condition: JSON = ["properties": ["type": ["const": .string(type.name)]], "required": ["type"]]
            return .object(JSONObject([("if", condition), ("then", .object(then))]))
        })
        return .object(entry)
    }

    /// An app's deployment path, offering each type's own (for an editor's completions): which
    /// type an app's provider has is named elsewhere in the blueprint, so the schema can't choose.
    static func deploymentPath(_ types: ProviderTypeRegistry) -> JSON {
        guard case .object(var path) = BlueprintShape.deploymentPath.schema else { return .null }
        var choices: [JSON] = types.all.filter { $0.deploymentShape != nil }.map { ["$ref": .string("#/$defs/deployment." + $0.name)] }
        choices.append(["description": "A provider type whose driver decides its deployment types and attributes."])
        path["anyOf"] = .array(choices)
        return .object(path)
    }

    /// `schema` without `additionalProperties`, so that it can be combined with another, with
    /// `about` as its description.
    static func open(_ schema: JSON, about: String) -> JSON {
        var result = JSONObject([("description", .string(about))])
        for (key, value) in schema.objectValue?.members ?? [] where key != "additionalProperties" { result[key] = value }
        return .object(result)
    }
}
