import ATProtoDiscovery
import ATProtoOAuthClient
import ATProtoOAuthLogin
import ATProtoOAuthTesting
import Foundation
import Testing

/// The two-phase login (`authorize` → `callback`) over the scripted transport: discovery
/// documents, PAR and the token endpoint scripted; the callback built from the PAR's recorded
/// `state`. Pins the wire format of R14 and R19 and the outcomes of R20/R21.
@Suite("OAuthClient: authorize → callback over a scripted transport")
struct AuthorizeCallbackUnitTests {
    static let did = "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"
    static let otherDID = "did:plc:zzzzzzzzzzzzzzzzzzzzzzzz"
    static let handle = "alice.example.com"
    static let issuer = "https://as.example.com"
    static let redirectURI = "http://127.0.0.1:8080/callback"

    @Test("R14/R19/R20: the PAR body, the token request body, and the stored session as granted")
    func loginWireFormat() async throws {
        let world = try World(codeSubject: Self.did)
        let url = try await world.client.authorize(Self.handle, redirectURI: Self.redirectURI)

        let par = try #require(world.transport.requests(to: Self.issuer + "/oauth/par", method: "POST").first)
        let fields = Dictionary(par.formFields.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
        #expect(
            Set(fields.keys).isSuperset(of: [
                "client_id", "response_type", "code_challenge", "code_challenge_method", "state", "redirect_uri",
                "scope",
            ]))
        #expect(fields["response_type"] == "code")
        #expect(fields["code_challenge_method"] == "S256")
        #expect(fields["redirect_uri"] == Self.redirectURI)
        #expect(fields["scope"] == "atproto transition:generic")
        #expect(fields["login_hint"] == Self.handle)
        let state = try #require(fields["state"])
        let challenge = try #require(fields["code_challenge"])
        let parProof = try par.dpopProof()  // R17: DPoP from the PAR request on
        #expect(parProof.htu == Self.issuer + "/oauth/par")

        let authorization = HTTPRequest(method: "GET", url: url)
        #expect(authorization.queryItems.map(\.name).sorted() == ["client_id", "request_uri"])
        #expect(
            authorization.queryItems.first { $0.name == "request_uri" }?.value == "urn:ietf:params:oauth:request_uri:r1"
        )

        let session = try await world.client.callback([("state", state), ("iss", Self.issuer), ("code", "code-1")])

        let exchange = try #require(world.transport.requests(to: Self.issuer + "/oauth/token").first)
        #expect(exchange.formField("grant_type") == "authorization_code")
        #expect(exchange.formField("code") == "code-1")
        #expect(exchange.formField("redirect_uri") == Self.redirectURI)
        #expect(exchange.formField("client_id") == fields["client_id"])
        let verifier = try #require(exchange.formField("code_verifier"))
        #expect(PKCE.challenge(for: verifier) == challenge)
        #expect(try exchange.dpopProof().jkt == parProof.jkt, "the token request is signed with the PAR's key")

        #expect(session.did.rawValue == Self.did)
        #expect(session.handle?.rawValue == Self.handle)
        #expect(session.scope.rawValue == "atproto transition:generic")
        #expect(try await world.store.load(session.did).accessToken == "access-2")
        #expect(world.tokens.exchangedCodes == ["code-1"])

        await #expect(throws: LoginError.self, "R16/R18: state is single-use") {
            _ = try await world.client.callback([("state", state), ("iss", Self.issuer), ("code", "code-1")])
        }
    }

    @Test("R21/R27: a token for another subject is refused, the tokens received are revoked, nothing is stored")
    func wrongSubjectIsRefusedAndRevoked() async throws {
        let world = try World(codeSubject: Self.otherDID)
        _ = try await world.client.authorize(Self.handle, redirectURI: Self.redirectURI)
        let par = try #require(world.transport.requests(to: Self.issuer + "/oauth/par").first)
        let state = try #require(par.formField("state"))

        let error = await #expect(throws: LoginError.self) {
            _ = try await world.client.callback([("state", state), ("iss", Self.issuer), ("code", "code-1")])
        }
        #expect(error.map { [.token, .subject].contains($0.code) } == true, "\(String(describing: error))")
        #expect(error?.description.contains("revoked") == true, "\(String(describing: error))")
        let revocation = try #require(world.transport.requests(to: Self.issuer + "/oauth/revoke").first)
        #expect(revocation.formField("token") == "refresh-2")
        #expect(await world.store.list().sessions.isEmpty)
    }

    @Test("R18: a callback whose iss is not the issuer is refused before any token request")
    func wrongIssuerIsRefused() async throws {
        let world = try World(codeSubject: Self.did)
        _ = try await world.client.authorize(Self.handle, redirectURI: Self.redirectURI)
        let state = try #require(
            world.transport.requests(to: Self.issuer + "/oauth/par").first?.formField("state"))
        await #expect(throws: LoginError.self) {
            _ = try await world.client.callback([
                ("state", state), ("iss", "https://evil.example.com"), ("code", "code-1"),
            ])
        }
        #expect(world.tokens.requestCount == 0)
    }
}

/// One account's discovery documents, a PAR endpoint, a strict token endpoint and a revocation
/// endpoint on a scripted transport; a client over the in-memory store.
private struct World {
    let transport = ScriptedTransport()
    let store = InMemorySessionStore()
    let tokens: ScriptedTokenEndpoint
    let client: OAuthClient

    init(codeSubject: String) throws {
        let plc = try #require(URL(string: "https://plc.example.com"))
        let issuer = try #require(URL(string: AuthorizeCallbackUnitTests.issuer))
        let pds = try #require(URL(string: "https://pds.example.com"))
        transport.routeIdentity(
            did: AuthorizeCallbackUnitTests.did, handle: AuthorizeCallbackUnitTests.handle, pds: pds, issuer: issuer,
            plcDirectory: plc)
        transport.routeIdentity(did: AuthorizeCallbackUnitTests.otherDID, pds: pds, issuer: issuer, plcDirectory: plc)
        transport.route(
            AuthorizeCallbackUnitTests.issuer + "/oauth/par", method: "POST",
            respond: .json(#"{"request_uri":"urn:ietf:params:oauth:request_uri:r1","expires_in":60}"#, status: 201))
        tokens = transport.routeTokenEndpoint(
            try #require(URL(string: AuthorizeCallbackUnitTests.issuer + "/oauth/token")), refreshTokens: [:],
            codeSubject: codeSubject)
        transport.route(
            AuthorizeCallbackUnitTests.issuer + "/oauth/revoke", method: "POST", respond: HTTPResponse(status: 200))
        client = OAuthClient(
            configuration: OAuthClientConfiguration(discovery: DiscoveryConfiguration(plcDirectory: plc)),
            transport: transport, txtResolver: ScriptedTXTResolver(), store: store, identityCache: IdentityCache())
    }
}
