import ATProtoOAuth
import ATProtoOAuthTesting
import Foundation
import Testing

/// The session agent's refresh and request rules (R21, R23–R25), with a scripted transport and
/// an in-memory store: no sockets, no sleeping.
@Suite("SessionAgent: refresh and DPoP requests")
struct SessionAgentTests {
    static let did = "did:plc:ewvi7nxzyoun6zhxrhs64oiz"
    static let issuer = "https://entryway.example.com"
    static let pds = "https://pds1.example.com"
    static let movedPDS = "https://pds2.example.com"
    static let tokenEndpoint = issuer + "/oauth/token"

    @Test("R21: an issuer that changed is found BEFORE the refresh token is spent; the account needs a login")
    func issuerChangedKeepsRefreshToken() async throws {
        let world = try World()
        world.resolver.answer = (URL(string: Self.movedPDS), URL(string: "https://other-issuer.example.com"))
        let error = await #expect(throws: ATProtoOAuthError.self) {
            _ = try await world.agent.refresh(world.did, replacing: nil)
        }
        #expect(error?.code == .issuerChanged)
        #expect(error?.rule == "R21")
        #expect(world.requestURLs.isEmpty, "no token request may be sent: \(world.requestURLs)")
        let stored = try await world.storage.load(world.did)
        #expect(stored.needsLogin)
        #expect(stored.refreshToken == "refresh-1")
    }

    @Test("R21: a PDS that moved under the same issuer is adopted with the new tokens; requests follow it")
    func pdsMoveIsAdopted() async throws {
        let world = try World()
        world.resolver.answer = (URL(string: Self.movedPDS), URL(string: Self.issuer))
        world.transport.setFallback { request in
            if request.url.absoluteString == Self.tokenEndpoint { return World.tokenResponse(number: 2) }
            return HTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: Data("{}".utf8))
        }
        let refreshed = try await world.agent.refresh(world.did, replacing: nil)
        #expect(world.resolver.likelyPDSs.map(\.absoluteString) == [Self.pds], "the re-check is told the stored PDS")
        #expect(refreshed.pds.absoluteString == Self.movedPDS)
        #expect(try await world.storage.load(world.did).pds.absoluteString == Self.movedPDS)
        #expect(refreshed.accessToken == "access-2")

        let response = try await world.agent.send(
            world.did, method: "GET", path: "/xrpc/com.atproto.server.getSession")
        #expect(response.status == 200)
        #expect(world.requestURLs.last == Self.movedPDS + "/xrpc/com.atproto.server.getSession")
    }

    @Test("R25: a request answered invalid_token refreshes once (adopting a moved PDS) and retries at the new host")
    func invalidTokenRefreshesAndFollowsMove() async throws {
        let world = try World()
        world.resolver.answer = (URL(string: Self.movedPDS), URL(string: Self.issuer))
        world.transport.setFallback { request in
            let url = request.url.absoluteString
            if url == Self.tokenEndpoint { return World.tokenResponse(number: 2) }
            if url.hasPrefix(Self.pds) {
                return HTTPResponse(
                    status: 401, headers: [("WWW-Authenticate", #"DPoP error="invalid_token""#)], body: Data())
            }
            return HTTPResponse(status: 200, headers: [], body: Data("{}".utf8))
        }
        let response = try await world.agent.send(
            world.did, method: "GET", path: "/xrpc/com.atproto.server.getSession", query: [("a", "1"), ("a", "2")])
        #expect(response.status == 200)
        #expect(
            world.requestURLs == [
                Self.pds + "/xrpc/com.atproto.server.getSession?a=1&a=2", Self.tokenEndpoint,
                Self.movedPDS + "/xrpc/com.atproto.server.getSession?a=1&a=2",
            ])
    }

    @Test("R24: expiresAt counts from when the refresh request was sent, not when the answer arrived")
    func expiryCountsFromRequest() async throws {
        let world = try World()
        let sentAt = world.clock.now
        world.transport.setFallback { request in
            // The answer takes 40 s to arrive.
            world.clock.advance(40)
            return World.tokenResponse(number: 2, expiresIn: 300)
        }
        let refreshed = try await world.agent.refresh(world.did, replacing: nil)
        #expect(refreshed.expiresAt == sentAt.addingTimeInterval(300))
    }

    @Test("R24: invalid_grant marks the account as needing a login and keeps its file")
    func invalidGrant() async throws {
        let world = try World()
        world.transport.setFallback { _ in
            HTTPResponse(
                status: 400, headers: [("Content-Type", "application/json")],
                body: Data(#"{"error":"invalid_grant","error_description":"session revoked"}"#.utf8))
        }
        let error = await #expect(throws: ATProtoOAuthError.self) {
            _ = try await world.agent.refresh(world.did, replacing: nil)
        }
        #expect(error?.code == .needsLogin)
        #expect(error?.reason.contains("session revoked") == true)
        #expect(try await world.storage.load(world.did).needsLogin)
    }

    @Test("R23: a server repeating the nonce it just refused gets no retry")
    func repeatedNonceIsNotRetried() async throws {
        let world = try World()
        world.transport.setFallback { _ in
            HTTPResponse(
                status: 400, headers: [("Content-Type", "application/json"), ("DPoP-Nonce", "n1")],
                body: Data(#"{"error":"use_dpop_nonce"}"#.utf8))
        }
        var nonces = [Self.issuer: "n1"]
        let sender = DPoPSender(transport: world.transport, key: .generate(), now: { Date() })
        let response = try await sender.send(
            method: "POST", url: try #require(URL(string: Self.tokenEndpoint)), nonces: &nonces
        ) { proof in
            HTTPRequest(method: "POST", url: URL(fileURLWithPath: "/"), headers: [("DPoP", proof)])
        }
        #expect(response.status == 400)
        #expect(world.requestURLs.count == 1)
    }

    @Test("R23: a fresh nonce in the challenge is retried exactly once")
    func freshNonceIsRetriedOnce() async throws {
        let world = try World()
        world.transport.setFallback { _ in
            HTTPResponse(
                status: 400, headers: [("Content-Type", "application/json"), ("DPoP-Nonce", UUID().uuidString)],
                body: Data(#"{"error":"use_dpop_nonce"}"#.utf8))
        }
        var nonces: [String: String] = [:]
        let sender = DPoPSender(transport: world.transport, key: .generate(), now: { Date() })
        let url = try #require(URL(string: Self.tokenEndpoint))
        _ = try await sender.send(method: "POST", url: url, nonces: &nonces) { proof in
            HTTPRequest(method: "POST", url: url, headers: [("DPoP", proof)])
        }
        #expect(world.requestURLs.count == 2)
        #expect(nonces[Self.issuer] != nil)
    }

    @Test("R23: failing to persist a new nonce never turns a successful response into an error")
    func nonceSaveFailureIsBestEffort() async throws {
        let world = try World()
        world.transport.setFallback { _ in
            HTTPResponse(status: 200, headers: [("DPoP-Nonce", "new-pds-nonce")], body: Data("{}".utf8))
        }
        world.storage.failSaves = true
        let response = try await world.agent.send(
            world.did, method: "POST", path: "/xrpc/com.atproto.repo.createRecord", body: Data("{}".utf8))
        #expect(response.status == 200)
        #expect(world.requestURLs.count == 1)
    }
}

// MARK: - Scripted parts

/// One account in an in-memory store, the testing product's scripted transport, a movable
/// clock and resolver.
private struct World {
    let did: DID
    let clock = TestClock()
    let transport = ScriptedTransport()
    let storage: MemoryStorage
    let resolver = ScriptedResolver()
    /// The URLs requested, in order.
    var requestURLs: [String] { transport.requests.map(\.url.absoluteString) }
    var agent: SessionAgent {
        SessionAgent(
            transport: transport, store: storage, issuerResolver: resolver, lockTimeout: .seconds(5),
            now: { [clock] in clock.now })
    }

    init() throws {
        did = try DID(SessionAgentTests.did)
        let session = Session(
            did: did, handle: try Handle("alice.example.com"), pds: try Self.url(SessionAgentTests.pds),
            issuer: SessionAgentTests.issuer, tokenEndpoint: try Self.url(SessionAgentTests.tokenEndpoint),
            revocationEndpoint: nil, pushedAuthorizationRequestEndpoint: nil, authorizationEndpoint: nil,
            clientID: "http://localhost", redirectURI: nil, scope: try ScopeSet("atproto transition:generic"),
            accessToken: "access-1", refreshToken: "refresh-1", expiresAt: clock.now.addingTimeInterval(600),
            dpopKey: DPoPKey.generate().privateJWK, createdAt: clock.now)
        storage = MemoryStorage(session)
        resolver.answer = (URL(string: SessionAgentTests.pds), URL(string: SessionAgentTests.issuer))
        transport.setFallback { _ in World.tokenResponse(number: 2) }
    }

    static func url(_ string: String) throws -> URL { try #require(URL(string: string)) }

    static func tokenResponse(number: Int, expiresIn: Int = 300) -> HTTPResponse {
        let body = """
            {"access_token":"access-\(number)","token_type":"DPoP","expires_in":\(expiresIn),\
            "refresh_token":"refresh-\(number)","scope":"atproto transition:generic","sub":"\(SessionAgentTests.did)"}
            """
        return HTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: Data(body.utf8))
    }
}

private final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var time = Date(timeIntervalSince1970: 1_800_000_000)
    var now: Date { lock.withLock { time } }
    func advance(_ seconds: TimeInterval) { lock.withLock { time += seconds } }
}

private final class ScriptedResolver: IssuerResolving, @unchecked Sendable {
    private let lock = NSLock()
    private var current: (URL?, URL?) = (nil, nil)
    var answer: (URL?, URL?) {
        get { lock.withLock { current } }
        set { lock.withLock { current = newValue } }
    }

    private var hints: [URL] = []
    /// The `likelyPDS` of every re-check, in order.
    var likelyPDSs: [URL] { lock.withLock { hints } }

    func currentServers(for did: DID) async throws -> (pds: URL, issuer: URL) {
        guard case (let pds?, let issuer?) = answer else { throw CancellationError() }
        return (pds, issuer)
    }

    func currentServers(for did: DID, likelyPDS: URL) async throws -> (pds: URL, issuer: URL) {
        lock.withLock { hints.append(likelyPDS) }
        return try await currentServers(for: did)
    }
}

/// The library's in-memory store, whose saves can be made to fail.
private final class MemoryStorage: SessionStore, @unchecked Sendable {
    private let base: InMemorySessionStore
    private let lock = NSLock()
    private var saveFails = false

    init(_ session: Session) { base = InMemorySessionStore([session]) }

    var failSaves: Bool {
        get { lock.withLock { saveFails } }
        set { lock.withLock { saveFails = newValue } }
    }

    func load(_ did: DID) async throws -> Session { try await base.load(did) }

    func save(_ session: Session) async throws {
        if failSaves { throw CancellationError() }
        await base.save(session)
    }

    func delete(_ did: DID) async throws { try await base.delete(did) }

    func list() async throws -> SessionListing { await base.list() }

    func withLock<T: Sendable>(_ did: DID, timeout: Duration, _ body: @Sendable () async throws -> T) async throws -> T
    {
        try await base.withLock(did, timeout: timeout, body)
    }
}
