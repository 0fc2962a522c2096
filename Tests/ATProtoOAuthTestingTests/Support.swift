import ATProtoDiscovery
import ATProtoOAuthClient
import ATProtoOAuthTesting
import Foundation
import Testing

/// Accounts in an in-memory store (wrapped to count lock requests), discovery documents and a
/// strict token endpoint on a scripted transport, and an `OAuthClient` over them on a fixed
/// clock: the client's session policies with no sockets and no sleeping.
struct ClientWorld {
    static let plc = "https://plc.example.com"
    static let pds = "https://pds.example.com"
    static let issuer = "https://as.example.com"

    let transport = ScriptedTransport()
    let store: CountingStore
    let sessions: [Session]
    let tokens: ScriptedTokenEndpoint
    let client: OAuthClient
    let now: Date

    var dids: [DID] { sessions.map(\.did) }

    /// - Parameter expiresIn: each account's access-token life left, in seconds.
    init(accounts count: Int = 1, expiresIn: [TimeInterval]? = nil, refreshConcurrency: Int = 4) throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let pds = try #require(URL(string: Self.pds))
        let issuer = try #require(URL(string: Self.issuer))
        var sessions: [Session] = []
        for index in 0..<count {
            let did = Self.did(index)
            sessions.append(
                try Session.testSession(
                    did: did, handle: "user\(index).example.com", pds: pds, issuer: issuer,
                    refreshToken: "refresh-1-\(index)",
                    expiresAt: now.addingTimeInterval(expiresIn?[index] ?? 3600), now: now))
            transport.routeIdentity(
                did: did, handle: "user\(index).example.com", pds: pds, issuer: issuer,
                plcDirectory: try #require(URL(string: Self.plc)))
        }
        self.now = now
        self.sessions = sessions
        store = CountingStore(InMemorySessionStore(sessions))
        tokens = transport.routeTokenEndpoint(for: sessions)
        client = try Self.client(transport: transport, store: store, refreshConcurrency: refreshConcurrency, now: now)
    }

    /// Another client over the same store and servers: a second process (or machine).
    func otherClient() throws -> OAuthClient {
        try Self.client(transport: transport, store: store, refreshConcurrency: 4, now: now)
    }

    private static func client(
        transport: ScriptedTransport, store: CountingStore, refreshConcurrency: Int, now: Date
    ) throws -> OAuthClient {
        OAuthClient(
            configuration: OAuthClientConfiguration(
                discovery: DiscoveryConfiguration(plcDirectory: try #require(URL(string: Self.plc))),
                lockTimeout: .seconds(30), refreshConcurrency: refreshConcurrency),
            transport: transport, txtResolver: ScriptedTXTResolver(), store: store, identityCache: IdentityCache(),
            now: { now })
    }

    /// A valid `did:plc` for account `index` (base32 alphabet, 24 characters).
    static func did(_ index: Int) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")
        return "did:plc:" + String(repeating: "a", count: 22) + String(alphabet[index / 32 % 32])
            + String(alphabet[index % 32])
    }
}

/// The library's in-memory store, counting how many times its lock was asked for, so a test
/// can hold a request until a racing task is queued on the lock — a counter, not a clock.
final class CountingStore: SessionStore, @unchecked Sendable {
    private let base: InMemorySessionStore
    private let lock = NSLock()
    private var requests = 0  // guarded by lock
    private var hook: (@Sendable (DID) async -> Void)?  // guarded by lock

    init(_ base: InMemorySessionStore) { self.base = base }

    var lockRequests: Int { lock.withLock { requests } }

    /// Runs `body` once, just before the next lock is asked for: what another process does
    /// between this one's reads and its lock.
    func beforeNextLock(_ body: @escaping @Sendable (DID) async -> Void) { lock.withLock { hook = body } }

    func load(_ did: DID) async throws -> Session { try await base.load(did) }
    func save(_ session: Session) async throws { await base.save(session) }
    func delete(_ did: DID) async throws { try await base.delete(did) }
    func list() async throws -> SessionListing { await base.list() }

    func withLock<T: Sendable>(_ did: DID, timeout: Duration, _ body: @Sendable () async throws -> T) async throws -> T
    {
        let hook = lock.withLock {
            requests += 1
            defer { self.hook = nil }
            return self.hook
        }
        await hook?(did)
        return try await base.withLock(did, timeout: timeout, body)
    }
}

/// Waits until `condition` holds, checking between short sleeps, for at most `limit` checks
/// (a generous deadline that only a hung test reaches); returns whether it held. Tests assert
/// on what the condition counts, never on how long it took.
func eventually(limit: Int = 10_000, _ condition: () async -> Bool) async -> Bool {
    for _ in 0..<limit {
        if await condition() { return true }
        await Task.yield()
        try? await Task.sleep(for: .milliseconds(1))
    }
    return await condition()
}
