import Foundation
@testable import FirmBase
@testable import FirmModel
@testable import Firmament

/// Every blueprint firm is run on in the end-to-end tests that firm's decoder accepts, kept in
/// $FIRM_BLUEPRINT_SAMPLES (which scripts/test sets), one file per content: after the tests,
/// scripts/test checks each one against schema/blueprint.schema.json, so that the schema
/// accepts every blueprint the tests write, not only the examples.
enum BlueprintSamples {
    static let folder = ProcessInfo.processInfo.environment["FIRM_BLUEPRINT_SAMPLES"].flatMap { $0.isEmpty ? nil : $0 }
    /// Larger blueprints are left out: the few tests that write them make them by a loop, and
    /// Python's jsonschema takes seconds over one.
    static let largest = 2 << 20

    /// Keeps the blueprint that `arguments` name (a command's first argument), when it is one.
    static func keep(_ arguments: [String], in directory: String) {
        guard let folder, arguments.count >= 2, arguments[1].hasSuffix(".json") else { return }
        let path = arguments[1].hasPrefix("/") ? arguments[1] : directory + "/" + arguments[1]
        guard let data = FileManager.default.contents(atPath: path), data.count <= largest else { return }
        let bytes = Array(data)
        let sample = folder + "/" + SHA256.hex(bytes) + ".json"
        guard !FileManager.default.fileExists(atPath: sample),
            (try? BlueprintDecoder.decode(bytes, file: path, types: BuiltIn.providerTypes)) != nil
        else { return }
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: sample, contents: data)
    }
}
