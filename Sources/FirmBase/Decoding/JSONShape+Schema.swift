/// Shapes as JSON Schema, draft 2020-12.
extension JSONShape {
    /// The dialect every schema firm writes declares.
    public static let dialect = "https://json-schema.org/draft/2020-12/schema"

    /// A whole schema document: `root`'s keywords, after `title` and `description`, and
    /// `definitions`' schemas under `$defs` (which `.reference(name)` points into), in the order given.
    public static func schemaDocument(title: String, description: String, root: JSONShape, definitions: [(String, JSON)]) -> JSON {
        var document = JSONObject([("$schema", .string(dialect)), ("title", .string(title)), ("description", .string(description))])
        if case .object(let keywords) = root.schema {
            for (key, value) in keywords.members { document[key] = value }
        }
        document["$defs"] = .object(JSONObject(definitions))
        return .object(document)
    }

    /// This shape's schema.
    public var schema: JSON {
        switch self {
        case .string(let pattern, let minLength, let maxLength):
            return Self.keywords([("type", .string("string")), ("pattern", pattern.map(JSON.string)),
                                  ("minLength", minLength.map(JSON.int)), ("maxLength", maxLength.map(JSON.int))])
        case .choice(let values):
            return Self.keywords([("type", .string("string")), ("enum", .array(values.map(JSON.string)))])
        case .integer(let minimum, let maximum):
            return Self.keywords([("type", .string("integer")), ("minimum", minimum.map(JSON.int)), ("maximum", maximum.map(JSON.int))])
        case .number(let minimum, let exclusiveMinimum, let exclusiveMaximum, let maximum):
            return Self.keywords([("type", .string("number")), ("minimum", minimum.map(Self.number)), ("exclusiveMinimum", exclusiveMinimum.map(Self.number)),
                                  ("exclusiveMaximum", exclusiveMaximum.map(Self.number)), ("maximum", maximum.map(Self.number))])
        case .boolean:
            return ["type": .string("boolean")]
        case .array(let items, let maxItems, let nonEmpty):
            return Self.keywords([("type", .string("array")), ("items", items.schema), ("minItems", nonEmpty ? .int(1) : nil), ("maxItems", maxItems.map(JSON.int))])
        case .object(let shape):
            return shape.schema
        case .map(let names, let values):
            return Self.keywords([("type", .string("object")), ("propertyNames", names.schema), ("additionalProperties", values.schema)])
        case .anyOf(let shapes):
            return ["anyOf": .array(shapes.map(\.schema))]
        case .reference(let name):
            return ["$ref": .string("#/$defs/" + name)]
        case .anything:
            return .object(JSONObject())
        case .described(let text, let shape):
            var keywords = JSONObject([("description", .string(text))])
            for (key, value) in shape.schema.objectValue?.members ?? [] { keywords[key] = value }
            return .object(keywords)
        }
    }

    /// The keywords that have a value, in the order given.
    static func keywords(_ pairs: [(String, JSON?)]) -> JSON {
        .object(JSONObject(pairs.compactMap { key, value in value.map { (key, $0) } }))
    }

    /// A bound as JSON: whole values without a fraction.
    static func number(_ value: Double) -> JSON {
        if value == value.rounded(), abs(value) < 1e15, let whole = Int(exactly: value) { return .int(whole) }
        return .number(String(value))
    }
}

extension ObjectShape {
    /// `{"type": "object", "properties": …, "required": …, "additionalProperties": false}`.
    public var schema: JSON {
        JSONShape.keywords([("type", .string("object")), ("properties", .object(JSONObject(fields.map { ($0.name, $0.shape.schema) }))),
                            ("required", required.isEmpty ? nil : .array(required.map(JSON.string))), ("additionalProperties", .bool(false))])
    }
}
