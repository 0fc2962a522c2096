import ATProtoDevServer
import ATProtoDiscovery
import ATProtoHTTP
import ATProtoOAuth
import ATProtoOAuthClient
import ATProtoOAuthLogin
import Foundation
import Testing

/// `OAuthClient.authorize` → `callback` against a real in-process dev network, with the real
/// transport and the in-memory session and state stores. The "browser" approves through
/// `DevNetwork.approve`, which returns the redirect the consent page would send.
@Suite("OAuthClient: authorize → callback (R12, R16, R18, R27)", .serialized)
struct AuthorizeCallbackTests {
    static let redirectURI = "http://127.0.0.1:61234/callback"

    /// One test's world: network, transport, stores and the client; always torn down.
    struct World: Sendable {
        let network: DevNetwork
        let info: DevNetworkInfo
        let transport: HTTPClientTransport
        let store: InMemorySessionStore
        let stateStore: InMemoryAuthorizationStateStore
        let client: OAuthClient

        func did(_ handle: String) throws -> DID {
            try DID(try #require(info.accounts.first { $0.handle == handle }).did)
        }

        /// What the consent page's Approve button returns: the redirect (code, state, iss).
        func approve(_ authorizationURL: URL) async throws -> URL {
            try #require(await network.approve(requestURI: try requestURI(authorizationURL)))
        }

        func requestURI(_ authorizationURL: URL) throws -> String {
            try #require(
                URLComponents(url: authorizationURL, resolvingAgainstBaseURL: false)?.queryItems?.first {
                    $0.name == "request_uri"
                }?.value)
        }

        /// authorize → approve → callback: a whole login.
        func login(_ handle: String, steps: StepLog? = nil) async throws -> Session {
            let url = try await client.authorize(handle, redirectURI: AuthorizeCallbackTests.redirectURI)
            return try await client.callback(url: try await approve(url)) { event in
                if case .step(let step) = event { steps?.record(step) }
            }
        }

        func storedSessions() async throws -> [Session] {
            await store.list().sessions
        }

        func tokenRequests() async -> Int {
            await network.requestLog().filter { $0.method == "POST" && $0.path == "/oauth/token" }.count
        }
    }

    /// The final state of each step, by name.
    final class StepLog: @unchecked Sendable {
        private let lock = NSLock()
        private var steps: [String: FlowStep] = [:]
        func record(_ step: FlowStep) { lock.withLock { steps[step.name] = step } }
        subscript(_ name: String) -> FlowStep? { lock.withLock { steps[name] } }
    }

    private func withWorld(
        stateStore: InMemoryAuthorizationStateStore = InMemoryAuthorizationStateStore(),
        _ body: (World) async throws -> Void
    ) async throws {
        let network = DevNetwork(configuration: DevNetworkConfiguration())
        let info = try await network.start()
        let transport = try HTTPClientTransport(
            configuration: .init(allowHTTPLoopback: true, connectTimeout: .seconds(60), timeout: .seconds(60)))
        let outcome: Result<Void, any Error>
        do {
            let store = InMemorySessionStore()
            let client = OAuthClient(
                configuration: OAuthClientConfiguration(
                    discovery: DiscoveryConfiguration(
                        plcDirectory: try #require(URL(string: info.plc)), allowHTTPLoopback: true)),
                transport: transport,
                txtResolver: try ResolvTXTResolver(nameserver: info.dns, timeout: .seconds(2)),
                store: store, stateStore: stateStore, identityCache: IdentityCache())
            let world = World(
                network: network, info: info, transport: transport, store: store, stateStore: stateStore,
                client: client)
            outcome = .success(try await body(world))
        } catch {
            outcome = .failure(error)
        }
        try await transport.shutdown()
        await network.stop()
        try outcome.get()
    }

    /// Spends `session`'s refresh token with its own key: the token endpoint's verdict.
    private func refreshVerdict(_ session: Session, _ transport: any HTTPTransport) async throws -> (Int, String?) {
        let refreshToken = try #require(session.refreshToken)
        var nonces = session.dpopNonces
        let request = TokenRequest.refresh(refreshToken: refreshToken, clientID: session.clientID)
        let response = try await DPoPSender(transport: transport, key: try DPoPKey(privateJWK: session.dpopKey)) {
            Date()
        }.send(method: "POST", url: session.tokenEndpoint, nonces: &nonces) { proof in
            request.httpRequest(endpoint: session.tokenEndpoint, dpopProof: proof)
        }
        return (response.status, OAuthErrorResponse.parse(response)?.error)
    }

    /// `url` with the query item `name` replaced by `value` (or removed when `nil`).
    private func replacing(_ name: String, with value: String?, in url: URL) throws -> URL {
        var components = try #require(URLComponents(url: url, resolvingAgainstBaseURL: false))
        components.queryItems = components.queryItems?.compactMap {
            $0.name == name ? value.map { URLQueryItem(name: name, value: $0) } : $0
        }
        return try #require(components.url)
    }

    private func expectR18(_ error: LoginError?, field: String) {
        #expect(error?.code == .callback, "\(String(describing: error))")
        let cause = error?.underlying as? ATProtoOAuthError
        #expect(cause?.rule == "R18" && cause?.field == field, "\(String(describing: error))")
    }

    // MARK: the happy path

    @Test("authorize → approve → callback(url:): the session is stored, .updated published, the PDS accepts it")
    func authorizeThenCallback() async throws {
        try await withWorld { world in
            let alice = try world.did("alice.test")
            let events = world.client.events()
            let authorizeSteps = StepLog()
            let url = try await world.client.authorize("alice.test", redirectURI: Self.redirectURI) { event in
                if case .step(let step) = event { authorizeSteps.record(step) }
            }
            #expect(authorizeSteps["par"]?.status == .ok)
            #expect(await world.stateStore.count == 1)
            let query = try #require(URLComponents(url: url, resolvingAgainstBaseURL: false)?.queryItems)
            #expect(Set(query.map(\.name)) == ["client_id", "request_uri"], "R14: only client_id and request_uri")
            #expect(
                query.first { $0.name == "client_id" }?.value
                    == ClientMetadata.developmentClientID(
                        redirectURIs: [Self.redirectURI], scope: "atproto transition:generic"))

            let redirect = try await world.approve(url)
            #expect(redirect.absoluteString.hasPrefix(Self.redirectURI + "?"))
            let steps = StepLog()
            let session = try await world.client.callback(url: redirect) { event in
                if case .step(let step) = event { steps.record(step) }
            }
            for name in ["callback", "token", "verify-subject", "save"] {
                #expect(steps[name]?.status == .ok, "\(name): \(String(describing: steps[name]))")
            }
            #expect(session.did == alice)
            #expect(session.handle?.rawValue == "alice.test")
            #expect(session.redirectURI == Self.redirectURI)
            #expect(try await world.store.load(alice) == session)
            #expect(await world.stateStore.count == 0, "the pending authorization was not consumed")
            #expect(await world.client.defaultAccount() == nil, "the in-memory store keeps no default")

            var iterator = events.makeAsyncIterator()
            let event = await iterator.next()
            guard case .updated(let published) = event else {
                Issue.record("expected .updated, got \(String(describing: event))")
                return
            }
            #expect(published.did == alice)

            let response = try await world.client.xrpc(alice, "com.atproto.server.getSession")
            #expect(response.status == 200)
        }
    }

    @Test("callback(_:) with the decoded query works the same; a denial is LoginError(.denied)")
    func queryCallbackAndDenial() async throws {
        try await withWorld { world in
            let url = try await world.client.authorize("bob.test", redirectURI: Self.redirectURI)
            let redirect = try await world.approve(url)
            let items = try #require(URLComponents(url: redirect, resolvingAgainstBaseURL: false)?.queryItems)
            let session = try await world.client.callback(items.map { ($0.name, $0.value ?? "") })
            #expect(session.did == (try world.did("bob.test")))

            let denied = try await world.client.authorize("carol.test", redirectURI: Self.redirectURI)
            let refusal = try #require(await world.network.deny(requestURI: try world.requestURI(denied)))
            let error = await #expect(throws: LoginError.self) { try await world.client.callback(url: refusal) }
            #expect(error?.code == .denied, "\(String(describing: error))")
            #expect(try await world.storedSessions().map(\.did) == [session.did])
        }
    }

    // MARK: R16, R18

    @Test("R16/R18: a callback whose state is unknown or missing is refused before any token request; nothing stored")
    func unknownStateRefused() async throws {
        try await withWorld { world in
            let url = try await world.client.authorize("alice.test", redirectURI: Self.redirectURI)
            let redirect = try await world.approve(url)

            let forged = try replacing("state", with: "forged", in: redirect)
            expectR18(
                await #expect(throws: LoginError.self) { try await world.client.callback(url: forged) }, field: "state")
            let missing = try replacing("state", with: nil, in: redirect)
            expectR18(
                await #expect(throws: LoginError.self) { try await world.client.callback(url: missing) }, field: "state"
            )
            let error = await #expect(throws: LoginError.self) {
                try await world.client.callback(url: forged)
            }
            #expect(
                error.map { !$0.description.contains("forged") } == true,
                "the state is echoed: \(String(describing: error))")

            #expect(await world.tokenRequests() == 0)
            #expect(try await world.storedSessions().isEmpty)
            // The real callback is still pending, untouched by the forgeries.
            #expect(try await world.client.callback(url: redirect).did == (try world.did("alice.test")))
        }
    }

    @Test("R16: a replayed callback fails and changes nothing")
    func replayedCallbackFails() async throws {
        try await withWorld { world in
            let url = try await world.client.authorize("alice.test", redirectURI: Self.redirectURI)
            let redirect = try await world.approve(url)
            let session = try await world.client.callback(url: redirect)
            let requests = await world.tokenRequests()

            expectR18(
                await #expect(throws: LoginError.self) { try await world.client.callback(url: redirect) },
                field: "state")
            #expect(await world.tokenRequests() == requests, "the replayed code was sent to the token endpoint")
            #expect(try await world.store.load(session.did) == session)
        }
    }

    @Test("R18: a wrong iss fails before the token request, and spends the state (R16)")
    func wrongIssuerFails() async throws {
        try await withWorld { world in
            let url = try await world.client.authorize("alice.test", redirectURI: Self.redirectURI)
            let redirect = try await world.approve(url)
            let mixedUp = try replacing("iss", with: "http://127.0.0.1:9", in: redirect)
            expectR18(
                await #expect(throws: LoginError.self) { try await world.client.callback(url: mixedUp) }, field: "iss")
            let noIssuer = try replacing("iss", with: nil, in: redirect)
            expectR18(
                await #expect(throws: LoginError.self) { try await world.client.callback(url: noIssuer) },
                field: "state")
            // RFC 9207 §2.4: rejected, never retried — the genuine redirect is spent too.
            expectR18(
                await #expect(throws: LoginError.self) { try await world.client.callback(url: redirect) },
                field: "state")
            #expect(await world.tokenRequests() == 0)
            #expect(try await world.storedSessions().isEmpty)
        }
    }

    @Test("R16: a pending authorization older than its lifetime is refused")
    func expiredStateRefused() async throws {
        let clock = PendingAuthorizationTests.Clock()
        let start = clock.now
        try await withWorld(
            stateStore: InMemoryAuthorizationStateStore(now: {
                Date().addingTimeInterval(clock.now.timeIntervalSince(start))
            })
        ) { world in
            let url = try await world.client.authorize("alice.test", redirectURI: Self.redirectURI)
            let redirect = try await world.approve(url)
            clock.advance(601)
            expectR18(
                await #expect(throws: LoginError.self) { try await world.client.callback(url: redirect) },
                field: "state")
            #expect(await world.tokenRequests() == 0)
        }
    }

    // MARK: R12

    @Test(
        "R12: the development client refuses a redirect URI that is not http://127.0.0.1 or http://[::1], before any request",
        arguments: [
            "http://localhost:8080/callback", "https://app.example/callback", "http://192.168.1.2/callback",
            "com.example.app:/callback", "http://127.0.0.1/callback#fragment", "not a uri",
        ])
    func developmentRedirectChecked(_ redirectURI: String) async throws {
        try await withWorld { world in
            await world.network.clearRequestLog()
            let error = await #expect(throws: LoginError.self) {
                try await world.client.authorize("alice.test", redirectURI: redirectURI)
            }
            #expect(error?.code == .clientMetadata, "\(String(describing: error))")
            #expect(await world.network.requestLog().isEmpty)
            #expect(await world.stateStore.count == 0)
        }
    }

    @Test("R12: the development client accepts http://[::1] with a port")
    func ipv6LoopbackRedirect() async throws {
        try await withWorld { world in
            let url = try await world.client.authorize("alice.test", redirectURI: "http://[::1]:61234/callback")
            let redirect = try await world.approve(url)
            #expect(redirect.absoluteString.hasPrefix("http://[::1]:61234/callback?"))
            let session = try await world.client.callback(url: redirect)
            #expect(session.redirectURI == "http://[::1]:61234/callback")
        }
    }

    // MARK: R27

    @Test("R27: a second authorize → callback for the same account revokes the first grant")
    func secondLoginRevokesFirstGrant() async throws {
        try await withWorld { world in
            let first = try await world.login("alice.test")
            await world.network.clearRequestLog()
            let steps = StepLog()
            let second = try await world.login("alice.test", steps: steps)
            #expect(second.accessToken != first.accessToken)
            #expect(try await world.store.load(second.did) == second)
            let save = try #require(steps["save"])
            #expect(save.detail.contains("the superseded session's grant was revoked (R27)"), "\(save.detail)")

            let log = await world.network.requestLog()
            let revoke = try #require(log.last { $0.method == "POST" && $0.path == "/oauth/revoke" })
            #expect(revoke.status == 200)
            #expect(revoke.dpopJKT == (try first.dpopKey.publicKey.thumbprint()), "not sent with the old key")
            let (status, error) = try await refreshVerdict(first, world.transport)
            #expect(status == 400 && error == "invalid_grant", "the superseded refresh token still works")
            #expect(await world.network.revokeSessions(did: first.did.rawValue) == 1)
        }
    }
}
