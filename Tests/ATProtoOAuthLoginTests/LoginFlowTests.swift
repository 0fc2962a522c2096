import ATProtoAccountStore
import ATProtoDevServer
import ATProtoDiscovery
import ATProtoHTTP
import ATProtoOAuth
import Foundation
import Testing

@testable import ATProtoOAuthLogin

/// `LoginFlow` against a real in-process dev network, with the real transport, listener and
/// account store. The "browser" approves through `DevNetwork.approve` and delivers the
/// callback with a plain GET, so each test can also send forged requests first.
@Suite("LoginFlow: R18, R27 and typed causes", .serialized)
struct LoginFlowTests {
    /// One test's world: network, transport, discovery and a private store; always torn down.
    struct World: Sendable {
        let network: DevNetwork
        let info: DevNetworkInfo
        let transport: HTTPClientTransport
        let discovery: Discovery
        let store: AccountStore

        func did(_ handle: String) throws -> String {
            try #require(info.accounts.first { $0.handle == handle }).did
        }

        /// A login flow whose browser runs `browse(authorizationURL)` in the background.
        func flow(
            transport: (any HTTPTransport)? = nil,
            browse: @escaping @Sendable (URL) async throws -> Void = { _ in }
        ) -> LoginFlow {
            let configuration = LoginConfiguration(
                callbackTimeout: .seconds(20), allowHTTPLoopback: true,
                openBrowser: { url in
                    Task { try? await browse(url) }
                    return .launched(command: "test")
                })
            return LoginFlow(
                transport: transport ?? self.transport, discovery: discovery, configuration: configuration)
        }

        /// What the consent page's Approve button returns: the callback URL (code, state, iss).
        func approve(_ authorizationURL: URL) async throws -> URL {
            let requestURI = try #require(
                URLComponents(url: authorizationURL, resolvingAgainstBaseURL: false)?.queryItems?.first {
                    $0.name == "request_uri"
                }?.value)
            return try #require(await network.approve(requestURI: requestURI))
        }

        /// GETs `url` (the loopback listener) and returns the status.
        @discardableResult
        func get(_ url: URL) async throws -> Int {
            try await transport.send(HTTPRequest(method: "GET", url: url)).status
        }

        /// The browser of a person who approves.
        var approving: @Sendable (URL) async throws -> Void {
            { url in try await get(try await approve(url)) }
        }

        func login(
            _ handle: String, flow: LoginFlow? = nil, steps: StepLog? = nil
        ) async throws -> Session {
            let flow = flow ?? self.flow(browse: approving)
            let store = self.store
            return try await flow.run(
                try LoginInput(handle, allowHTTPLoopback: true),
                save: { session in
                    // What OAuthClient does: the previous session is read and replaced under one lock.
                    try await store.withLock(session.did) {
                        let previous = try? store.load(session.did)
                        try store.save(session)
                        return previous
                    }
                },
                progress: { event in
                    if case .step(let step) = event { steps?.record(step) }
                })
        }
    }

    /// The final state of each step, by name.
    final class StepLog: @unchecked Sendable {
        private let lock = NSLock()
        private var steps: [String: FlowStep] = [:]
        func record(_ step: FlowStep) { lock.withLock { steps[step.name] = step } }
        subscript(_ name: LoginStepName) -> FlowStep? { lock.withLock { steps[name.rawValue] } }
    }

    private func withWorld(_ body: (World) async throws -> Void) async throws {
        let network = DevNetwork(configuration: DevNetworkConfiguration())
        let info = try await network.start()
        let transport = try HTTPClientTransport(
            configuration: .init(allowHTTPLoopback: true, connectTimeout: .seconds(60), timeout: .seconds(60)))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "atproto-login-tests-\(UUID().uuidString)", isDirectory: true)
        let outcome: Result<Void, any Error>
        do {
            let discovery = Discovery(
                transport: transport, txtResolver: try ResolvTXTResolver(nameserver: info.dns, timeout: .seconds(2)),
                configuration: DiscoveryConfiguration(
                    plcDirectory: try #require(URL(string: info.plc)), allowHTTPLoopback: true),
                cache: IdentityCache())
            let world = World(
                network: network, info: info, transport: transport, discovery: discovery,
                store: try AccountStore(directory: directory))
            outcome = .success(try await body(world))
        } catch {
            outcome = .failure(error)
        }
        try await transport.shutdown()
        await network.stop()
        try? FileManager.default.removeItem(at: directory)
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

    // MARK: R27

    @Test("R27: a login that replaces a stored session revokes the superseded grant, after saving the new one")
    func reloginRevokesSupersededGrant() async throws {
        try await withWorld { world in
            let first = try await world.login("alice.test")
            let steps = StepLog()
            await world.network.clearRequestLog()
            let second = try await world.login("alice.test", steps: steps)
            #expect(second.accessToken != first.accessToken)
            #expect(try world.store.load(second.did).accessToken == second.accessToken)

            let save = try #require(steps[.save])
            #expect(save.status == .ok)
            #expect(save.detail.contains("the superseded session's grant was revoked (R27)"), "\(save.detail)")

            let log = await world.network.requestLog()
            let token = try #require(log.lastIndex { $0.method == "POST" && $0.path == "/oauth/token" })
            let revoke = try #require(log.lastIndex { $0.method == "POST" && $0.path == "/oauth/revoke" })
            #expect(revoke > token, "the old grant must be revoked after the new one exists")
            #expect(log[revoke].status == 200)
            // Sent with the old session's own key: its tokens are bound to it.
            #expect(log[revoke].dpopJKT == (try first.dpopKey.publicKey.thumbprint()))

            let (status, error) = try await refreshVerdict(first, world.transport)
            #expect(status == 400 && error == "invalid_grant", "the superseded refresh token still works")
            // Exactly one live grant is left for the account: the new one.
            #expect(await world.network.revokeSessions(did: try world.did("alice.test")) == 1)
        }
    }

    /// Rewrites the token endpoint's 200 answer to break R20 or R21.
    struct TamperingTransport: HTTPTransport {
        let base: any HTTPTransport
        let rewrite: @Sendable ([String: Any]) -> [String: Any]

        func send(_ request: HTTPRequest) async throws -> HTTPResponse {
            var response = try await base.send(request)
            guard request.url.path == "/oauth/token", response.status == 200,
                let object = try JSONSerialization.jsonObject(with: response.body) as? [String: Any]
            else { return response }
            response.body = try JSONSerialization.data(withJSONObject: rewrite(object))
            return response
        }
    }

    enum Tamper: String, CaseIterable, Sendable {
        case otherSubject, bearerTokenType, noAtprotoScope, notJSONTokenType
    }

    @Test(
        "R27: a login whose token checks fail (R20, R21) revokes the tokens it received; nothing is stored",
        arguments: Tamper.allCases)
    func failedTokenChecksRevoke(_ tamper: Tamper) async throws {
        try await withWorld { world in
            let bob = try world.did("bob.test")
            let transport = TamperingTransport(base: world.transport) { object in
                var object = object
                switch tamper {
                case .otherSubject: object["sub"] = bob
                case .bearerTokenType: object["token_type"] = "Bearer"
                case .noAtprotoScope: object["scope"] = "transition:generic"
                case .notJSONTokenType: object["token_type"] = 42  // TokenResponse.parse fails
                }
                return object
            }
            let error = await #expect(throws: LoginError.self) {
                try await world.login("alice.test", flow: world.flow(transport: transport, browse: world.approving))
            }
            #expect(error?.code == .token, "\(String(describing: error))")
            #expect(error?.underlying is ATProtoOAuthError)
            if tamper == .otherSubject { #expect((error?.underlying as? ATProtoOAuthError)?.rule == "R21") }
            #expect(
                error?.reason.contains("the tokens received were revoked (R27)") == true, "\(String(describing: error))"
            )

            let log = await world.network.requestLog()
            let token = try #require(log.last { $0.method == "POST" && $0.path == "/oauth/token" && $0.status == 200 })
            let revoke = try #require(log.last { $0.method == "POST" && $0.path == "/oauth/revoke" })
            #expect(revoke.status == 200 && revoke.dpopJKT == token.dpopJKT)
            #expect(world.store.loadAll().sessions.isEmpty)
            // No live grant is left behind for the account.
            #expect(await world.network.revokeSessions(did: try world.did("alice.test")) == 0)
        }
    }

    // MARK: R18

    @Test("R18: forged callbacks (wrong or no state, a forged access_denied) neither end the login nor deny it")
    func forgedCallbacksAreIgnored() async throws {
        try await withWorld { world in
            let statuses = Statuses()
            let flow = world.flow { url in
                let real = try await world.approve(url)
                var components = try #require(URLComponents(url: real, resolvingAgainstBaseURL: false))
                let items = components.queryItems ?? []
                let iss = items.first { $0.name == "iss" }?.value
                for forged in [
                    [
                        URLQueryItem(name: "state", value: "forged"), URLQueryItem(name: "iss", value: iss),
                        URLQueryItem(name: "error", value: "access_denied"),
                    ],
                    [URLQueryItem(name: "error", value: "access_denied"), URLQueryItem(name: "iss", value: iss)],
                    items.map { $0.name == "state" ? URLQueryItem(name: "state", value: "forged") : $0 },
                ] {
                    components.queryItems = forged
                    statuses.append(try await world.get(try #require(components.url)))
                }
                statuses.append(try await world.get(real))
            }
            let session = try await world.login("alice.test", flow: flow)
            #expect(session.did.rawValue == (try world.did("alice.test")))
            #expect(statuses.values == [400, 400, 400, 200])
        }
    }

    @Test("R18: this login's state with a wrong iss ends the login with an R18 iss error; nothing stored")
    func mixedUpIssuerEndsTheLogin() async throws {
        try await withWorld { world in
            let flow = world.flow { url in
                let real = try await world.approve(url)
                var components = try #require(URLComponents(url: real, resolvingAgainstBaseURL: false))
                components.queryItems = components.queryItems?.map {
                    $0.name == "iss" ? URLQueryItem(name: "iss", value: "http://127.0.0.1:9") : $0
                }
                try await world.get(try #require(components.url))
            }
            let error = await #expect(throws: LoginError.self) { try await world.login("alice.test", flow: flow) }
            #expect(error?.code == .callback)
            let cause = error?.underlying as? ATProtoOAuthError
            #expect(cause?.rule == "R18" && cause?.field == "iss")
            #expect(world.store.loadAll().sessions.isEmpty)
            let log = await world.network.requestLog()
            #expect(!log.contains { $0.path == "/oauth/token" }, "the code was exchanged despite the wrong iss")
        }
    }

    // MARK: typed causes

    @Test("Errors keep their cause: a token request that times out is LoginError(.token) over the transport's timeout")
    func tokenTimeoutKeepsTransportError() async throws {
        try await withWorld { world in
            // Only the token request has a short time-out: a loaded machine may be slow, never hung.
            let short = try HTTPClientTransport(configuration: .init(allowHTTPLoopback: true, timeout: .seconds(2)))
            let flow = world.flow(transport: TokenRoutingTransport(base: world.transport, token: short)) { url in
                let real = try await world.approve(url)
                await world.network.failNextRequests(1, mode: .hang)
                try await world.get(real)
            }
            let error = await #expect(throws: LoginError.self) { try await world.login("alice.test", flow: flow) }
            try await short.shutdown()
            #expect(error?.code == .token && error?.step == "token")
            let cause = error?.underlying as? ATProtoHTTPError
            #expect(cause?.code == .timeout, "\(String(describing: error?.underlying))")
            #expect(world.store.loadAll().sessions.isEmpty)
        }
    }

    /// Sends token requests through `token`, everything else through `base`.
    struct TokenRoutingTransport: HTTPTransport {
        let base: any HTTPTransport
        let token: any HTTPTransport

        func send(_ request: HTTPRequest) async throws -> HTTPResponse {
            try await (request.url.path == "/oauth/token" ? token : base).send(request)
        }
    }

    /// Answers the token request itself with an OAuth refusal, never forwarding it.
    struct RefusingTransport: HTTPTransport {
        let base: any HTTPTransport

        func send(_ request: HTTPRequest) async throws -> HTTPResponse {
            guard request.url.path == "/oauth/token" else { return try await base.send(request) }
            return HTTPResponse(
                status: 400, headers: [("Content-Type", "application/json")],
                body: Data(#"{"error":"invalid_grant","error_description":"code expired"}"#.utf8))
        }
    }

    @Test(
        "Errors keep their cause: an OAuth refusal at the token endpoint is LoginError(.token) over ATProtoOAuthError")
    func tokenRefusalKeepsOAuthError() async throws {
        try await withWorld { world in
            let flow = world.flow(transport: RefusingTransport(base: world.transport), browse: world.approving)
            let error = await #expect(throws: LoginError.self) { try await world.login("alice.test", flow: flow) }
            #expect(error?.code == .token)
            let cause = error?.underlying as? ATProtoOAuthError
            #expect(cause?.code == .oauthError && cause?.field == "invalid_grant")
            // Nothing was received, so nothing is revoked.
            #expect(!(await world.network.requestLog()).contains { $0.path == "/oauth/revoke" })
        }
    }

    @Test("Errors keep their cause: a discovery failure is LoginError(.discovery) over the DiscoveryError")
    func discoveryFailureKeepsDiscoveryError() async throws {
        try await withWorld { world in
            let error = await #expect(throws: LoginError.self) { try await world.login("nobody.test") }
            #expect(error?.code == .discovery)
            #expect(error?.underlying is DiscoveryError)
        }
    }

    final class Statuses: @unchecked Sendable {
        private let lock = NSLock()
        private var list: [Int] = []
        func append(_ status: Int) { lock.withLock { list.append(status) } }
        var values: [Int] { lock.withLock { list } }
    }
}
