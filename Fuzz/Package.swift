// swift-tools-version:6.1
// libFuzzer targets for every parser that reads outside input. A separate package, so the
// main package's `swift build` never sees them. Build and run with `scripts/fuzz`; the
// targets need `-sanitize=fuzzer` (libFuzzer supplies `main`) and `-parse-as-library`.
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

/// One executable per parser; each defines `LLVMFuzzerTestOneInput`.
let coreTargets = [
    "FuzzIdentifiers", "FuzzScope", "FuzzDIDDocument", "FuzzMetadata", "FuzzTokenResponse", "FuzzDPoP",
    "FuzzCallback", "FuzzSession",
]

let package = Package(
    name: "atproto-oauth-fuzz",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "atproto-oauth", path: "..")
    ],
    targets: coreTargets.map { name in
        .executableTarget(
            name: name,
            dependencies: ["CFuzzDriver", .product(name: "ATProtoOAuth", package: "atproto-oauth")],
            swiftSettings: swiftSettings
        )
    } + [
        // DNSMessage is internal to ATProtoHTTP (which pulls AsyncHTTPClient): the target
        // compiles the very same file through a symlink instead of depending on the module.
        .executableTarget(name: "FuzzDNS", dependencies: ["CFuzzDriver"], swiftSettings: swiftSettings),
        // Declares libFuzzer's LLVMFuzzerRunDriver for the targets' `main`.
        .target(name: "CFuzzDriver"),
    ]
)
