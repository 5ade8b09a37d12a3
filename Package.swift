// swift-tools-version:6.0
import PackageDescription

let strict: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

/// The layers, lowest first. A target may import only the targets it lists, so an import that
/// runs upward does not compile (docs/architecture.md draws them).
let package = Package(
    name: "Firmament",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "firm", targets: ["firm"]),
        .executable(name: "firm-bench", targets: ["firm-bench"]),
        .library(name: "Firmament", targets: ["Firmament"]),
    ],
    dependencies: [],
    targets: [
        // JSON, decoding helpers (paths, diagnostics, names), files, hashing, HTTP/1.1, support.
        .target(name: "FirmBase", swiftSettings: strict),
        // The system's OpenSSL 3, loaded with dlopen when used: TLS streams for the HTTP/1.1
        // client, AES-256-GCM, PBKDF2, random bytes.
        .target(name: "FirmOpenSSL", dependencies: ["FirmBase"], swiftSettings: strict),
        // State and plan encryption at rest: the keys from the environment, the sealed envelope.
        .target(name: "FirmEncryption", dependencies: ["FirmBase", "FirmOpenSSL"], swiftSettings: strict),
        // Blueprint and state values, the provider SPI, the state-backend roles.
        .target(name: "FirmModel", dependencies: ["FirmBase"], swiftSettings: strict),
        // The pure planner.
        .target(name: "FirmPlanning", dependencies: ["FirmBase", "FirmModel"], swiftSettings: strict),
        // The executor over a task group, and the action runner.
        .target(name: "FirmExecution", dependencies: ["FirmBase", "FirmModel", "FirmPlanning"], swiftSettings: strict),
        // One target per provider type.
        .target(name: "FirmSimulated", dependencies: ["FirmBase", "FirmModel"], swiftSettings: strict),
        .target(name: "FirmProcess", dependencies: ["FirmBase", "FirmModel"], swiftSettings: strict),
        .target(name: "FirmEC2", dependencies: ["FirmBase", "FirmModel", "FirmOpenSSL"], swiftSettings: strict),
        .target(name: "FirmLinux", dependencies: ["FirmBase", "FirmModel"], swiftSettings: strict),
        // One target per state backend.
        .target(name: "FirmLocalState", dependencies: ["FirmBase", "FirmModel", "FirmEncryption"], swiftSettings: strict),
        .target(name: "FirmEtcdState", dependencies: ["FirmBase", "FirmModel", "FirmOpenSSL", "FirmEncryption"], swiftSettings: strict),
        // A reconcile fleet's schedule: each sandbox by its own deadline, newly claimed first, and
        // the period it achieves.
        .target(name: "FirmFleet", dependencies: ["FirmBase"], swiftSettings: strict),
        // The steps every command is made of: load, lock, recover, refresh, plan, run.
        .target(name: "FirmSession", dependencies: ["FirmBase", "FirmModel", "FirmPlanning", "FirmExecution"], swiftSettings: strict),
        // Drift reports, from a session's refresh.
        .target(name: "FirmDrift", dependencies: ["FirmBase", "FirmModel", "FirmPlanning", "FirmSession"], swiftSettings: strict),
        // What a run tells machines: the JSON event stream (--json, --json-into) and the
        // apply's timeline in Chrome's Trace Event Format (--timeline).
        .target(name: "FirmEvents", dependencies: ["FirmBase", "FirmModel", "FirmPlanning", "FirmExecution", "FirmSession"], swiftSettings: strict),
        // Pictures of a plan's DAG and of the recorded world, in DOT and Mermaid.
        .target(name: "FirmGraph", dependencies: ["FirmBase", "FirmModel", "FirmPlanning", "FirmExecution"], swiftSettings: strict),
        // The composition root: registers the built-in provider types and state backends.
        .target(name: "Firmament", dependencies: ["FirmBase", "FirmModel", "FirmSimulated", "FirmProcess", "FirmEC2", "FirmLinux", "FirmLocalState", "FirmEtcdState"],
                swiftSettings: strict),
        .executableTarget(name: "firm", dependencies: ["Firmament", "FirmBase", "FirmEncryption", "FirmModel", "FirmPlanning", "FirmExecution", "FirmSession", "FirmDrift",
                                                       "FirmGraph", "FirmEvents", "FirmSimulated", "FirmProcess", "FirmFleet"], swiftSettings: strict),
        .executableTarget(name: "firm-bench", dependencies: ["Firmament", "FirmBase", "FirmModel", "FirmPlanning", "FirmExecution", "FirmSession",
                                                             "FirmSimulated", "FirmEC2", "FirmLocalState", "FirmEtcdState"], swiftSettings: strict),
        // What both test targets share: temp folders, seeded randomness, waiting on a condition,
        // HTTP and free ports, and the etcd and moto servers the tests start. Public and package
        // API only (no @testable import), so that a release build still compiles it.
        .target(name: "FirmTestSupport", dependencies: ["FirmBase", "FirmModel", "FirmEC2", "FirmEtcdState"], path: "Tests/FirmTestSupport",
                swiftSettings: strict),
        // Checks the tests run in a process of their own, where no other test shares the pool.
        .executableTarget(name: "firm-test-probes", dependencies: ["FirmBase"], path: "Tests/Probes", swiftSettings: strict),
        .testTarget(name: "FirmamentTests", dependencies: allLibraries + ["FirmTestSupport", "firm-test-probes"], swiftSettings: strict),
        .testTarget(name: "EndToEndTests", dependencies: allLibraries + ["firm", "FirmTestSupport"], exclude: ["Fixtures", "Golden"], swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)

var allLibraries: [Target.Dependency] {
    ["FirmBase", "FirmOpenSSL", "FirmEncryption", "FirmModel", "FirmPlanning", "FirmExecution", "FirmSimulated", "FirmProcess", "FirmEC2", "FirmLinux",
     "FirmLocalState", "FirmEtcdState", "FirmSession", "FirmDrift", "FirmGraph", "FirmEvents", "FirmFleet", "Firmament"]
}
