import Foundation

/// The executable `name` that SwiftPM built beside the running test bundle, or else in the
/// package's .build/debug (`file` is the calling test file, Tests/TARGET/FILE.swift).
package func builtProduct(_ name: String, file: String = #filePath) -> String {
    var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = dir.appendingPathComponent(name).path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        dir = dir.deletingLastPathComponent()
    }
    let root = URL(fileURLWithPath: file).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return root.appendingPathComponent(".build/debug/" + name).path
}
