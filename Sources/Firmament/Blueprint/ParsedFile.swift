/// A file read and parsed once by a command that must look inside it to know what it is, a
/// saved plan or a blueprint, so that a blueprint is not read and parsed a second time.
public struct ParsedFile: Sendable {
    /// The path as the user named it.
    public let path: String
    public let bytes: [UInt8]
    public let root: JSONNode

    public init(path: String, bytes: [UInt8], root: JSONNode) {
        self.path = path
        self.bytes = bytes
        self.root = root
    }
}
