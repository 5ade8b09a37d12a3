import FirmBase

/// A file read and parsed once by a command that must look inside it to know what it is, a
/// saved plan or a blueprint, so that a blueprint is not read and parsed a second time.
public struct ParsedFile: Sendable {
    /// The path as the user named it.
    public let path: String
    public let bytes: [UInt8]
    public let root: JSONNode
    /// The apps, when they were read straight from the bytes (BlueprintFastPath): `root` then
    /// holds everything else, with `"apps"` empty.
    let apps: [String: AppSpec]?

    public init(path: String, bytes: [UInt8], root: JSONNode) {
        self.init(path: path, bytes: bytes, root: root, apps: nil)
    }

    init(path: String, bytes: [UInt8], root: JSONNode, apps: [String: AppSpec]?) {
        self.path = path
        self.bytes = bytes
        self.root = root
        self.apps = apps
    }

    /// `bytes` parsed: when they look like a blueprint, with its apps read straight from them;
    /// else as a tree. The syntax error, when they are not JSON.
    public static func parse(path: String, bytes: [UInt8]) throws(JSONSyntaxError) -> ParsedFile {
        if let fast = BlueprintFastPath.read(bytes) { return ParsedFile(path: path, bytes: bytes, root: fast.root, apps: fast.apps) }
        return ParsedFile(path: path, bytes: bytes, root: try JSONReader.parse(bytes), apps: nil)
    }

    /// The same file parsed whole as a tree (a plan file with an `"apps"` member, say).
    public var whole: ParsedFile {
        guard apps != nil, let root = try? JSONReader.parse(bytes) else { return self }
        return ParsedFile(path: path, bytes: bytes, root: root, apps: nil)
    }
}
