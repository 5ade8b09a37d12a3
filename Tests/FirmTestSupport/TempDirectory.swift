import Foundation

/// A fresh folder under the system temp folder, removed by `remove()` or when the last
/// reference to it goes.
package final class TempDirectory: @unchecked Sendable {
    package let path: String

    package init() {
        path = NSTemporaryDirectory() + "firm-test-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { remove() }

    /// Removes the folder and everything in it; a second call does nothing.
    package func remove() { try? FileManager.default.removeItem(atPath: path) }

    package func file(_ name: String) -> String { path + "/" + name }

    /// Writes `text` to `name`, making the folders on its way.
    package func write(_ name: String, _ text: String) {
        let folder = (file(name) as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: file(name), contents: Data(text.utf8))
    }

    /// The text of `name`, or nil when it can't be read.
    package func read(_ name: String) -> String? {
        (try? Data(contentsOf: URL(fileURLWithPath: file(name)))).map { String(decoding: $0, as: UTF8.self) }
    }

    package func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: file(name)) }
}
