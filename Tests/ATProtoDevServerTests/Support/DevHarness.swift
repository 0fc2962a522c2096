import ATProtoDevServer
import ATProtoHTTP
import ATProtoOAuth
import Foundation
import Testing

/// A running dev network plus a real transport, and the protocol steps tests repeat.
struct DevHarness: Sendable {
    let network: DevNetwork
    let info: DevNetworkInfo
    let transport: HTTPClientTransport

    static let redirectBase = "http://127.0.0.1/callback"
    static let redirectURI = "http://127.0.0.1:61234/callback"
    static let scope = "atproto transition:generic"
    static let clientID = ClientMetadata.developmentClientID(redirectURIs: [redirectBase], scope: scope)

    /// Runs `body` against a fresh network, always stopping it.
    static func with(
        _ configuration: DevNetworkConfiguration = .init(), _ body: (DevHarness) async throws -> Void
    ) async throws {
        let network = DevNetwork(configuration: configuration)
        let info = try await network.start()
        let transport = try HTTPClientTransport(
            configuration: .init(allowHTTPLoopback: true, timeout: .seconds(10)))
        let harness = DevHarness(network: network, info: info, transport: transport)
        do {
            try await body(harness)
        } catch {
            try? await transport.shutdown()
            await network.stop()
            throw error
        }
        try await transport.shutdown()
        await network.stop()
    }

    var entryway: URL { Self.url(info.entryway) }
    var entrywayPDS: URL { Self.url(info.pds.first ?? "") }
    var selfHostedPDS: URL { Self.url(info.pds.count > 1 ? info.pds[1] : "") }
    var secondEntrywayPDS: URL { Self.url(info.pds.count > 2 ? info.pds[2] : "") }
    var plc: URL { Self.url(info.plc) }

    static func url(_ string: String) -> URL { URL(string: string) ?? URL(fileURLWithPath: "/invalid") }

    func url(_ origin: URL, _ path: String) -> URL { Self.url(origin.absoluteString + path) }

    func get(_ url: URL, headers: [(name: String, value: String)] = []) async throws -> HTTPResponse {
        try await transport.send(HTTPRequest(method: "GET", url: url, headers: headers))
    }

    func json(_ response: HTTPResponse) throws -> JSONValue {
        try JSONValue.parse(response.body, source: "test")
    }

    func oauthError(_ response: HTTPResponse) -> String? {
        OAuthErrorResponse.parse(response)?.error
    }

    /// A form POST as the core sends it; `dpopProof: nil` leaves the DPoP header out.
    static func formPost(endpoint: URL, items: [(String, String)], dpopProof: String?) -> HTTPRequest {
        var headers: [(name: String, value: String)] = [
            ("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json"),
        ]
        if let dpopProof { headers.append(("DPoP", dpopProof)) }
        return HTTPRequest(
            method: "POST", url: endpoint, headers: headers, body: Data(FormEncoding.encode(items).utf8))
    }

    // MARK: PAR

    func parRequest(pkce: PKCE = PKCE(), redirectURI: String = redirectURI, loginHint: String? = nil)
        -> PushedAuthorizationRequest
    {
        PushedAuthorizationRequest(
            clientID: Self.clientID, redirectURI: redirectURI, scope: Self.scope,
            state: AuthorizationRequestState.randomState(), codeChallenge: pkce.challenge, loginHint: loginHint)
    }

    /// Sends a PAR with a proof from `key`; `proof` overrides the proof entirely.
    func sendPAR(
        _ par: PushedAuthorizationRequest, issuer: URL, key: DPoPKey, nonce: String?, now: Date = Date(),
        proof: String? = nil
    ) async throws -> HTTPResponse {
        let endpoint = url(issuer, "/oauth/par")
        let proof =
            try proof
            ?? DPoPProof.make(key: key, method: "POST", url: endpoint, nonce: nonce, accessToken: nil, now: now)
        return try await transport.send(par.httpRequest(endpoint: endpoint, dpopProof: proof))
    }

    /// The authorization server's current nonce, learnt the way a client does: a PAR
    /// without one is answered `use_dpop_nonce` with the nonce in `DPoP-Nonce` (R23).
    func asNonce(_ issuer: URL, key: DPoPKey) async throws -> String {
        let response = try await sendPAR(parRequest(), issuer: issuer, key: key, nonce: nil)
        #expect(DPoPNonce.isAuthorizationServerChallenge(response))
        return try #require(DPoPNonce.fromResponse(response))
    }

    /// PAR with the nonce dance; returns the request URI.
    func pushed(
        _ par: PushedAuthorizationRequest, issuer: URL, key: DPoPKey
    ) async throws -> (requestURI: String, nonce: String) {
        let nonce = try await asNonce(issuer, key: key)
        let response = try await sendPAR(par, issuer: issuer, key: key, nonce: nonce)
        #expect(response.status == 201)
        let parsed = try PushedAuthorizationResponse.parse(response)
        return (parsed.requestURI, DPoPNonce.fromResponse(response) ?? nonce)
    }

    func authorizeURL(issuer: URL, requestURI: String, clientID: String = clientID) -> URL {
        AuthorizationURL.make(endpoint: url(issuer, "/oauth/authorize"), clientID: clientID, requestURI: requestURI)
    }

    // MARK: Token

    func sendToken(
        _ request: TokenRequest, issuer: URL, key: DPoPKey, nonce: String?
    ) async throws -> HTTPResponse {
        let endpoint = url(issuer, "/oauth/token")
        let proof = try DPoPProof.make(
            key: key, method: "POST", url: endpoint, nonce: nonce, accessToken: nil, now: Date())
        return try await transport.send(request.httpRequest(endpoint: endpoint, dpopProof: proof))
    }

    struct Login: Sendable {
        let key: DPoPKey
        let tokens: TokenResponse
        let asNonce: String
        let issuer: URL
    }

    /// A whole login on an auto-approving network: PAR, authorize redirect, code exchange.
    func login(issuer: URL? = nil, loginHint: String? = nil, key: DPoPKey = .generate()) async throws -> Login {
        let issuer = issuer ?? entryway
        let pkce = PKCE()
        let par = parRequest(pkce: pkce, loginHint: loginHint)
        let (requestURI, nonce) = try await pushed(par, issuer: issuer, key: key)
        let redirect = try await RawHTTP.send("GET", authorizeURL(issuer: issuer, requestURI: requestURI))
        #expect(redirect.status == 302)
        let code = try #require(redirect.locationQuery["code"])
        let response = try await sendToken(
            .authorizationCode(
                code: code, codeVerifier: pkce.verifier, redirectURI: par.redirectURI, clientID: Self.clientID),
            issuer: issuer, key: key, nonce: nonce)
        #expect(response.status == 200)
        return Login(
            key: key, tokens: try TokenResponse.parse(response), asNonce: DPoPNonce.fromResponse(response) ?? nonce,
            issuer: issuer)
    }

    // MARK: Resource

    /// `getSession` at `pds` with the token, retrying once on `use_dpop_nonce` (R23).
    func getSession(
        pds: URL, token: String, key: DPoPKey, scheme: String = "DPoP", nonce: String? = nil
    ) async throws -> HTTPResponse {
        let endpoint = url(pds, "/xrpc/com.atproto.server.getSession")
        func attempt(_ nonce: String?) async throws -> HTTPResponse {
            let proof = try DPoPProof.make(
                key: key, method: "GET", url: endpoint, nonce: nonce, accessToken: token, now: Date())
            return try await transport.send(
                HTTPRequest(
                    method: "GET", url: endpoint, headers: [("Authorization", "\(scheme) \(token)"), ("DPoP", proof)]))
        }
        let first = try await attempt(nonce)
        guard DPoPNonce.isResourceServerChallenge(first), let fresh = DPoPNonce.fromResponse(first) else {
            return first
        }
        return try await attempt(fresh)
    }
}
