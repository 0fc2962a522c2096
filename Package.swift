// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "atproto-oauth",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "ATProtoOAuthClient", targets: ["ATProtoOAuthClient"]),
        .library(name: "ATProtoOAuthProxy", targets: ["ATProtoOAuthProxy"]),
        .library(name: "ATProtoOAuth", targets: ["ATProtoOAuth"]),
        .library(name: "ATProtoHTTP", targets: ["ATProtoHTTP"]),
        .library(name: "ATProtoDevServer", targets: ["ATProtoDevServer"]),
        .library(name: "ATProtoDiscovery", targets: ["ATProtoDiscovery"]),
        .library(name: "ATProtoOAuthLogin", targets: ["ATProtoOAuthLogin"]),
        .library(name: "ATProtoAccountStore", targets: ["ATProtoAccountStore"]),
        .library(name: "ATProtoPostgresStore", targets: ["ATProtoPostgresStore"]),
        .library(name: "ATProtoAccountsTUI", targets: ["ATProtoAccountsTUI"]),
        .library(name: "ATProtoOAuthTesting", targets: ["ATProtoOAuthTesting"]),
        .executable(name: "atproto-oauth", targets: ["ATProtoOAuthCLI"]),
        .executable(name: "atproto-oauth-bench", targets: ["ATProtoOAuthBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swhitty/FlyingFox.git", from: "0.27.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.29.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        // C interop only; no logic.
        .target(
            name: "CATProtoResolv",
            linkerSettings: [.linkedLibrary("resolv")]
        ),
        .target(
            name: "CATProtoNCurses",
            linkerSettings: [.linkedLibrary("ncursesw")]
        ),

        // The pure protocol core: identifiers, metadata, scopes, PKCE, DPoP, flow values, sessions.
        .target(
            name: "ATProtoOAuth",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto")
            ],
            swiftSettings: swiftSettings
        ),
        // The real transport (AsyncHTTPClient) and DNS TXT (libresolv).
        .target(
            name: "ATProtoHTTP",
            dependencies: [
                "ATProtoOAuth",
                "CATProtoResolv",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Handle → DID → document → PDS → resource metadata → authorization server, as step events.
        .target(
            name: "ATProtoDiscovery",
            dependencies: ["ATProtoOAuth"],
            swiftSettings: swiftSettings
        ),
        // Loopback listener + browser + PAR + callback + token exchange.
        .target(
            name: "ATProtoOAuthLogin",
            dependencies: [
                "ATProtoOAuth",
                "ATProtoDiscovery",
                "ATProtoLoopbackServer",
            ],
            swiftSettings: swiftSettings
        ),
        // The client API: login, authorize/callback, restore, XRPC, revoke, refresh many,
        // session events over any SessionStore — every policy about stored sessions, once.
        .target(
            name: "ATProtoOAuthClient",
            dependencies: ["ATProtoOAuth", "ATProtoDiscovery", "ATProtoOAuthLogin"],
            swiftSettings: swiftSettings
        ),
        // Lends a session to other programs: a loopback HTTP server (SwiftNIO) forwarding
        // /xrpc/* through OAuthClient.send, behind a random bearer token.
        .target(
            name: "ATProtoOAuthProxy",
            dependencies: [
                "ATProtoOAuth",
                "ATProtoOAuthClient",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // A small HTTP/1.1 server on loopback (SwiftNIO): the login's listener and the dev network.
        .target(
            name: "ATProtoLoopbackServer",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Multi-account persistence: one 0600 file per DID, atomic writes, flock.
        .target(
            name: "ATProtoAccountStore",
            dependencies: ["ATProtoOAuth"],
            swiftSettings: swiftSettings
        ),
        // The shared store: sessions in PostgreSQL (secrets AES-GCM encrypted), per-DID
        // advisory locks that hold across machines and die with their holder.
        .target(
            name: "ATProtoPostgresStore",
            dependencies: [
                "ATProtoOAuth",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        // Test support (not a product): the PostgreSQL server the tests use, fresh databases.
        .target(
            name: "ATProtoPostgresTestSupport",
            dependencies: [
                "ATProtoOAuth",
                "ATProtoPostgresStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/ATProtoPostgresTestSupport",
            swiftSettings: swiftSettings
        ),
        // The ncurses front end: Model → update(Event) → view(Screen).
        .target(
            name: "ATProtoAccountsTUI",
            dependencies: [
                "ATProtoOAuth", "ATProtoOAuthClient", "ATProtoDiscovery", "ATProtoOAuthLogin", "CATProtoNCurses",
            ],
            swiftSettings: swiftSettings
        ),
        // A strict loopback ATProto network (PLC, PDS, authorization server, DNS) for tests and demos.
        .target(
            name: "ATProtoDevServer",
            dependencies: [
                "ATProtoOAuth",
                "ATProtoLoopbackServer",
                .product(name: "Logging", package: "swift-log"),
                // The TLS mode: a CONNECT proxy terminating TLS with a throwaway CA.
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        // For tests (ours and users'): a scripted transport, test sessions, and re-exports of
        // the in-memory store's module and the dev network — one import, no sockets needed.
        .target(
            name: "ATProtoOAuthTesting",
            dependencies: ["ATProtoOAuth", "ATProtoOAuthClient", "ATProtoDevServer"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "ATProtoOAuthCLI",
            dependencies: [
                "ATProtoOAuth",
                "ATProtoOAuthClient",
                "ATProtoOAuthProxy",
                "ATProtoHTTP",
                "ATProtoDevServer",
                "ATProtoDiscovery",
                "ATProtoOAuthLogin",
                "ATProtoAccountStore",
                "ATProtoPostgresStore",
                "ATProtoAccountsTUI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        // Release-built benchmark harness: prints the speed and memory figures (not a test).
        .executableTarget(
            name: "ATProtoOAuthBench",
            dependencies: [
                "ATProtoOAuth",
                "ATProtoOAuthClient",
                "ATProtoHTTP",
                "ATProtoDiscovery",
                "ATProtoDevServer",
                "ATProtoOAuthLogin",
                "ATProtoAccountStore",
                "ATProtoAccountsTUI",
                "ATProtoPostgresStore",
            ],
            swiftSettings: swiftSettings
        ),
        // A ~50-line program using only library products: log in, print getSession's JSON.
        .executableTarget(
            name: "GetSession",
            dependencies: ["ATProtoOAuthClient", "ATProtoOAuth", "ATProtoDiscovery", "ATProtoHTTP"],
            path: "Examples/GetSession",
            swiftSettings: swiftSettings
        ),

        .testTarget(
            name: "ATProtoOAuthTests",
            dependencies: ["ATProtoOAuth", "ATProtoOAuthTesting"],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ATProtoHTTPTests",
            dependencies: [
                "ATProtoHTTP",
                "ATProtoOAuth",
                "ATProtoDevServer",
                .product(name: "FlyingFox", package: "FlyingFox"),
                .product(name: "FlyingSocks", package: "FlyingFox"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ATProtoDevServerTests",
            dependencies: ["ATProtoDevServer", "ATProtoHTTP", "ATProtoOAuth"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ATProtoDiscoveryTests",
            dependencies: ["ATProtoDiscovery", "ATProtoDevServer", "ATProtoHTTP", "ATProtoOAuth"],
            swiftSettings: swiftSettings
        ),
        // One contract suite over every SessionStore (file, in-memory, PostgreSQL), and the
        // PostgreSQL store's own cases (schema, key, timeouts, URL).
        .testTarget(
            name: "SessionStoreContractTests",
            dependencies: [
                "ATProtoOAuth",
                "ATProtoAccountStore",
                "ATProtoPostgresStore",
                "ATProtoPostgresTestSupport",
                "ATProtoOAuthTesting",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ATProtoAccountStoreTests",
            dependencies: ["ATProtoAccountStore", "ATProtoOAuth"],
            swiftSettings: swiftSettings
        ),
        // End-to-end: drives the built `atproto-oauth` binary against `atproto-oauth dev-server`.
        .testTarget(
            name: "ATProtoOAuthCLITests",
            dependencies: [
                "ATProtoOAuth",
                "ATProtoAccountStore",
                "ATProtoPostgresTestSupport",
                .product(name: "FlyingFox", package: "FlyingFox"),
                .product(name: "FlyingSocks", package: "FlyingFox"),
            ],
            resources: [.copy("Support/browser.py")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ATProtoAccountsTUITests",
            dependencies: [
                "ATProtoAccountsTUI", "ATProtoOAuthClient", "ATProtoOAuth", "ATProtoDiscovery", "ATProtoOAuthTesting",
            ],
            resources: [.copy("Golden")],
            swiftSettings: swiftSettings
        ),
        // The login library in process: the real loopback listener, LoginFlow against an
        // in-process dev network (R18, R27, typed error causes).
        .testTarget(
            name: "ATProtoOAuthLoginTests",
            dependencies: [
                "ATProtoOAuth",
                "ATProtoOAuthLogin",
                "ATProtoDiscovery",
                "ATProtoDevServer",
                "ATProtoHTTP",
                "ATProtoAccountStore",
            ],
            swiftSettings: swiftSettings
        ),
        // The CLI's own logic in process (exit-code mapping), without running the binary.
        .testTarget(
            name: "ATProtoOAuthCLIUnitTests",
            dependencies: [
                "ATProtoOAuthCLI",
                "ATProtoOAuth",
                "ATProtoOAuthLogin",
                "ATProtoDiscovery",
                "ATProtoHTTP",
                "ATProtoAccountStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        // The client API in process: authorize → callback for apps that own their redirect URI,
        // against an in-process dev network with the in-memory stores.
        .testTarget(
            name: "ATProtoOAuthClientTests",
            dependencies: [
                "ATProtoOAuthClient",
                "ATProtoOAuth",
                "ATProtoOAuthLogin",
                "ATProtoDiscovery",
                "ATProtoDevServer",
                "ATProtoHTTP",
            ],
            swiftSettings: swiftSettings
        ),
        // The core without sockets: OAuthClient's session policies, DPoP sending and the
        // testing product itself, over the scripted transport and the in-memory store.
        .testTarget(
            name: "ATProtoOAuthTestingTests",
            dependencies: [
                "ATProtoOAuthTesting", "ATProtoOAuthClient", "ATProtoOAuth", "ATProtoDiscovery", "ATProtoOAuthLogin",
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
