/// The shape of a JSON value as a decoder expects it: its type, the keys of an object (which of
/// them are required), the bounds a schema can state. It is one declaration with two readers:
/// the decoder takes an object's keys from it (`DecodingContext.members(of:at:shape:)`), and
/// `schema` renders it as JSON Schema (draft 2020-12) for editors. A decoder may check more than
/// its shape says (a rule that spans values, a message of its own); it never takes a key that
/// its shape does not list.
public indirect enum JSONShape: Sendable {
    /// A string, optionally matching `pattern` (anchored, ECMA-262 and Python `re` alike), of
    /// `minLength` to `maxLength` characters.
    case string(pattern: String? = nil, minLength: Int? = nil, maxLength: Int? = nil)
    /// One of these strings.
    case choice([String])
    /// A whole number within the bounds given.
    case integer(minimum: Int? = nil, maximum: Int? = nil)
    /// A number: at least `minimum` or above `exclusiveMinimum`, below `exclusiveMaximum` or at
    /// most `maximum`.
    case number(minimum: Double? = nil, exclusiveMinimum: Double? = nil, exclusiveMaximum: Double? = nil, maximum: Double? = nil)
    case boolean
    case array(of: JSONShape, maxItems: Int? = nil, nonEmpty: Bool = false)
    /// An object with known keys.
    case object(ObjectShape)
    /// An object whose keys are names the user chose (`names`, a string shape), each holding `values`.
    case map(names: JSONShape, values: JSONShape)
    /// Any of these shapes.
    case anyOf([JSONShape])
    /// The shape defined under `name` in the schema's `$defs`.
    case reference(String)
    /// Any JSON value.
    case anything
    /// A shape with words for a person (a schema's `description`, an editor's hover).
    case described(String, JSONShape)

    /// `shape` with `text` as its description.
    public static func about(_ text: String, _ shape: JSONShape) -> JSONShape { .described(text, shape) }

    /// Any object.
    public static var anyObject: JSONShape { .map(names: .string(), values: .anything) }
}

/// An object's keys, each with its shape and whether it is required. Keys it does not list are
/// refused, unless `othersAllowed`.
public struct ObjectShape: Sendable {
    /// One key of an object.
    public struct Field: Sendable {
        public var name: String
        public var shape: JSONShape
        public var isRequired: Bool

        public init(_ name: String, _ shape: JSONShape, required: Bool = false) {
            self.name = name
            self.shape = shape
            self.isRequired = required
        }
    }

    public let fields: [Field]
    /// Every key, in declaration order (kept, as the decoder asks for them once per object).
    public let keys: [String]
    /// The keys that must be present.
    public let required: [String]

    public init(_ fields: [Field]) {
        self.fields = fields
        keys = fields.map(\.name)
        required = fields.filter(\.isRequired).map(\.name)
    }
}

extension DecodingContext {
    /// The members of an object shaped as `shape`: its keys allowed, its required keys present.
    public mutating func members(of node: JSONNode, at path: @autoclosure () -> JSONPath, shape: ObjectShape) -> JSONFields? {
        members(of: node, at: path(), allowed: shape.keys, required: shape.required)
    }
}
