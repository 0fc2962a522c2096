import ATProtoDiscovery
import ATProtoOAuth
import ATProtoOAuthLogin
import Foundation

/// The one entry point for applications: log people in to their ATProto accounts and keep
/// those sessions alive, with every rule of the ATProto OAuth profile applied.
///
/// An `OAuthClient` is built from its components — the HTTP transport, the DNS TXT resolver
/// and a `SessionStore` — and owns every policy about stored sessions: what a login saves
/// (and which superseded grant it revokes, R27), when a session is refreshed (under the
/// store's lock, after re-resolving the DID, R21/R24), how many refreshes run at once, what
/// logout revokes, and when a session needs a new login.
///
/// ```swift
/// let client = OAuthClient(
///     configuration: .init(), transport: try HTTPClientTransport(),
///     txtResolver: try ResolvTXTResolver(), store: try AccountStore(directory: directory))
/// let session = try await client.login("alice.bsky.social")           // opens the browser
/// let response = try await client.xrpc(session.did, "com.atproto.server.getSession")
/// ```
///
/// Sessions are identified by DID. Every operation is safe to call from several tasks and,
/// with a store whose lock spans processes (the file store) or machines (a shared
/// database), from several processes at once.
public final class OAuthClient: Sendable {
    public let configuration: OAuthClientConfiguration
    public let transport: any HTTPTransport
    public let store: any SessionStore
    /// Keeps each ``authorize(_:redirectURI:progress:)``'s pending authorization until its
    /// ``callback(_:progress:)`` (R16); share it between processes that may handle either.
    public let stateStore: any AuthorizationStateStore
    /// Resolves handles and DIDs to servers (R1–R9), with the identity cache (R7).
    public let discovery: Discovery
    let agent: SessionAgent
    let broadcaster: SessionEventBroadcaster
    let now: @Sendable () -> Date

    /// - Parameters:
    ///   - configuration: the client identity, scope, discovery settings and session policies.
    ///   - transport: every HTTP request goes through it (`HTTPClientTransport` in use,
    ///     `ScriptedTransport` in tests).
    ///   - txtResolver: DNS TXT look-ups for handles (R3).
    ///   - store: where sessions live, with the per-DID lock that makes refreshes safe (R24).
    ///   - identityCache: identity answers shared between flows for at most 10 minutes (R7).
    ///   - issuerCheckOnRefresh: resolve the DID afresh before each refresh (R21). Only a
    ///     benchmark of refresh alone turns it off.
    ///   - stateStore: where ``authorize(_:redirectURI:progress:)`` keeps what its callback
    ///     needs; the default keeps it in this process's memory.
    ///   - now: the clock sessions are stamped and checked with (tests move it).
    public init(
        configuration: OAuthClientConfiguration, transport: any HTTPTransport, txtResolver: any TXTResolver,
        store: any SessionStore, stateStore: any AuthorizationStateStore = InMemoryAuthorizationStateStore(),
        identityCache: IdentityCache = .shared, issuerCheckOnRefresh: Bool = true,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        let broadcaster = SessionEventBroadcaster()
        let discovery = Discovery(
            transport: transport, txtResolver: txtResolver, configuration: configuration.discovery,
            cache: identityCache, clock: now)
        self.configuration = configuration
        self.transport = transport
        self.store = store
        self.stateStore = stateStore
        self.discovery = discovery
        self.broadcaster = broadcaster
        self.now = now
        self.agent = SessionAgent(
            transport: transport, store: store, issuerResolver: issuerCheckOnRefresh ? discovery : nil,
            lockTimeout: configuration.lockTimeout, now: now, onEvent: { broadcaster.publish($0) })
    }

    /// A stream of what this client does to stored sessions: logins and refreshes saved,
    /// sessions found to need a login, logouts. Each call returns a new, independent stream;
    /// it ends when the client is released.
    public func events() -> AsyncStream<SessionEvent> {
        broadcaster.stream()
    }

    /// Parses what a person typed (R1): a handle, a DID or a server URL.
    public func input(_ typed: String) throws -> LoginInput {
        try Discovery.input(typed, allowHTTPLoopback: configuration.allowHTTPLoopback)
    }
}
