// swift-tools-version:6.0
import PackageDescription

let strict: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

let package = Package(
    name: "Firmament",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "firm", targets: ["firm"]),
        .executable(name: "firm-bench", targets: ["firm-bench"]),
        .library(name: "Firmament", targets: ["Firmament"]),
    ],
    dependencies: [],
    targets: [
        .target(name: "Firmament", swiftSettings: strict),
        .executableTarget(name: "firm", dependencies: ["Firmament"], swiftSettings: strict),
        .executableTarget(name: "firm-bench", dependencies: ["Firmament"], swiftSettings: strict),
        .testTarget(name: "FirmamentTests", dependencies: ["Firmament"], swiftSettings: strict),
        .testTarget(name: "EndToEndTests", dependencies: ["Firmament", "firm"], exclude: ["Fixtures"], swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)
