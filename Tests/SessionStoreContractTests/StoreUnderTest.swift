import ATProtoAccountStore
import ATProtoOAuth
import ATProtoPostgresStore
import ATProtoPostgresTestSupport
import Foundation
import Testing

/// The stores the contract suite runs over. The PostgreSQL case needs a server (see
/// `PostgresTestServer`): without one it fails, unless explicitly opted out locally.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case file
    case memory
    case postgres

    var testDescription: String { rawValue }

    /// Every kind, minus PostgreSQL when it is explicitly opted out (never in CI).
    static var underTest: [StoreKind] {
        PostgresTestServer.skipped ? [.file, .memory] : allCases
    }

    /// Whether two instances of this kind share their data and lock (two processes or
    /// machines): the file store on one directory, PostgreSQL on one database.
    var isShared: Bool { self != .memory }
}

/// One fresh, empty store of a kind, and what it takes to remove it.
final class StoreUnderTest: Sendable {
    let kind: StoreKind
    let store: any SessionStore
    /// A second, independent instance over the same data (another pool / another open of
    /// the directory), standing for another process or machine; `nil` for the in-memory store.
    let twin: (any SessionStore)?
    private let directory: URL?
    private let databaseURL: String?

    private init(
        kind: StoreKind, store: any SessionStore, twin: (any SessionStore)?, directory: URL?, databaseURL: String?
    ) {
        self.kind = kind
        self.store = store
        self.twin = twin
        self.directory = directory
        self.databaseURL = databaseURL
    }

    static func make(_ kind: StoreKind) async throws -> StoreUnderTest {
        switch kind {
        case .memory:
            return StoreUnderTest(
                kind: kind, store: InMemorySessionStore(), twin: nil, directory: nil, databaseURL: nil)
        case .file:
            let root = FileManager.default.temporaryDirectory.appendingPathComponent(
                "contract-\(UUID().uuidString)", isDirectory: true)
            let store = try AccountStore(directory: root)
            return StoreUnderTest(
                kind: kind, store: store, twin: try AccountStore(directory: root), directory: root, databaseURL: nil)
        case .postgres:
            let url = try await PostgresTestServer.freshDatabase(prefix: "contract")
            let key = try StoreKey(base64: Self.testKey)
            let configuration = try PostgresStoreConfiguration(url: url)
            return StoreUnderTest(
                kind: kind, store: try PostgresSessionStore(configuration: configuration, key: key),
                twin: try PostgresSessionStore(configuration: configuration, key: key), directory: nil,
                databaseURL: url)
        }
    }

    /// A fixed test key (32 bytes of 0x2a), never a real one.
    static let testKey = Data(repeating: 0x2a, count: 32).base64EncodedString()

    /// The database URL (PostgreSQL) or directory (file store) of this store.
    var location: String? { databaseURL ?? directory?.path }

    func cleanUp() async {
        for store in [store, twin].compactMap({ $0 as? PostgresSessionStore }) { await store.shutdown() }
        if let databaseURL { await PostgresTestServer.drop(databaseURL) }
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }
}

/// Sessions with dummy tokens (never sent anywhere) and a fresh DPoP key.
enum Sessions {
    static func make(did: String, handle: String? = nil, accessToken: String = "access-0") throws -> Session {
        let pds = try #require(URL(string: "https://pds.example.com"))
        let tokenEndpoint = try #require(URL(string: "https://auth.example.com/oauth/token"))
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        return Session(
            did: try DID(did), handle: try handle.map(Handle.init), pds: pds, issuer: "https://auth.example.com",
            tokenEndpoint: tokenEndpoint, revocationEndpoint: nil, pushedAuthorizationRequestEndpoint: nil,
            authorizationEndpoint: nil, clientID: "http://localhost", redirectURI: "http://127.0.0.1/callback",
            scope: try ScopeSet("atproto transition:generic"), accessToken: accessToken, refreshToken: "refresh-0",
            expiresAt: now.addingTimeInterval(900), dpopKey: DPoPKey.generate().privateJWK,
            dpopNonces: ["https://auth.example.com": "nonce-1"], createdAt: now)
    }
}

/// Records enter/exit of concurrent critical sections.
actor Trace {
    private(set) var inside = 0
    private(set) var maximumInside = 0
    private(set) var entries = 0
    func enter() {
        inside += 1
        entries += 1
        maximumInside = max(maximumInside, inside)
    }
    func exit() { inside -= 1 }
}
