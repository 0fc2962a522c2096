import ATProtoDevServer
import ATProtoOAuth
import Foundation
import Testing

/// `include:` permission sets on the dev authorization server (R20, R28): granted expanded,
/// verbatim, on login and on refresh; unknown sets refused.
@Suite("Dev authorization server: scopes")
struct ScopeGrantTests {
    static let include = "include:" + DevPermissionSets.basicAccess

    struct Grant {
        let response: HTTPResponse
        let clientID: String
        let key: DPoPKey
    }

    /// A login of a development client declaring and requesting `scope`.
    func login(_ harness: DevHarness, scope: String) async throws -> Grant {
        let key = DPoPKey.generate()
        let clientID = ClientMetadata.developmentClientID(redirectURIs: [DevHarness.redirectBase], scope: scope)
        let pkce = PKCE()
        let par = PushedAuthorizationRequest(
            clientID: clientID, redirectURI: DevHarness.redirectURI, scope: scope,
            state: AuthorizationRequestState.randomState(), codeChallenge: pkce.challenge, loginHint: nil)
        let (requestURI, nonce) = try await harness.pushed(par, issuer: harness.entryway, key: key)
        let redirect = try await RawHTTP.send(
            "GET", harness.authorizeURL(issuer: harness.entryway, requestURI: requestURI, clientID: clientID))
        let code = try #require(redirect.locationQuery["code"])
        let response = try await harness.sendToken(
            .authorizationCode(
                code: code, codeVerifier: pkce.verifier, redirectURI: DevHarness.redirectURI, clientID: clientID),
            issuer: harness.entryway, key: key, nonce: nonce)
        return Grant(response: response, clientID: clientID, key: key)
    }

    @Test("R20/R28: include:<dev set> is granted expanded and verbatim, on login and on refresh")
    func expandedGrant() async throws {
        try await DevHarness.with(.init(autoApprove: true)) { harness in
            let requested = "atproto " + Self.include
            let grant = try await login(harness, scope: requested)
            #expect(grant.response.status == 200)
            let tokens = try TokenResponse.parse(grant.response)
            let expected = (["atproto"] + DevPermissionSets.expansion(audience: nil)).joined(separator: " ")
            #expect(tokens.scope == expected)
            let validated = try tokens.validate(requestedScope: requested, expectedSubject: nil)
            #expect(validated.scope.rawValue == expected)
            #expect(validated.notGranted.isEmpty)
            #expect(validated.scope.unrecognized.map(\.description) == ["futurething:xyz"])
            #expect(validated.scope.scopes.count == 6)

            let refreshToken = try #require(tokens.refreshToken)
            let refreshed = try await harness.sendToken(
                .refresh(refreshToken: refreshToken, clientID: grant.clientID), issuer: harness.entryway,
                key: grant.key, nonce: DPoPNonce.fromResponse(grant.response))
            #expect(refreshed.status == 200)
            let again = try TokenResponse.parse(refreshed).validate(
                requestedScope: validated.scope.rawValue, expectedSubject: validated.sub)
            #expect(again.scope.rawValue == expected && again.notGranted.isEmpty)
        }
    }

    @Test("R28: the expansion's rpc: permission inherits the include's aud")
    func inheritedAudience() async throws {
        try await DevHarness.with(.init(autoApprove: true)) { harness in
            let grant = try await login(
                harness, scope: "atproto \(Self.include)?aud=did:web:api.bsky.app%23bsky_appview transition:generic")
            #expect(grant.response.status == 200)
            let scope = try TokenResponse.parse(grant.response).scope ?? ""
            #expect(scope.contains("&aud=did:web:api.bsky.app%23bsky_appview "))
            #expect(scope.hasPrefix("atproto repo:") && scope.hasSuffix(" futurething:xyz transition:generic"))
            let granted = try ScopeSet(granted: scope)
            #expect(
                granted.grants(try OAuthScope("rpc:com.example.dev.getFeed?aud=did:web:api.bsky.app#bsky_appview")))
        }
    }

    @Test(
        "R28: an include: of a permission set the server does not know → invalid_scope",
        arguments: ["include:com.example.dev.unknownSet", "include?nsid=com.example.other.set"])
    func unknownPermissionSet(_ include: String) async throws {
        try await DevHarness.with(.init(autoApprove: true)) { harness in
            let key = DPoPKey.generate()
            let scope = "atproto " + include
            let clientID = ClientMetadata.developmentClientID(redirectURIs: [DevHarness.redirectBase], scope: scope)
            let par = PushedAuthorizationRequest(
                clientID: clientID, redirectURI: DevHarness.redirectURI, scope: scope,
                state: AuthorizationRequestState.randomState(), codeChallenge: PKCE().challenge, loginHint: nil)
            let nonce = try await harness.asNonce(harness.entryway, key: key)
            let response = try await harness.sendPAR(par, issuer: harness.entryway, key: key, nonce: nonce)
            #expect(response.status == 400)
            #expect(harness.oauthError(response) == "invalid_scope")
            #expect(OAuthErrorResponse.parse(response)?.errorDescription?.contains("permission set") == true)
        }
    }

    @Test("R28: the dev expansion uses only forms a client must tolerate; all but one parse strictly")
    func expansionForms() throws {
        let tokens = DevPermissionSets.expansion(audience: nil)
        #expect(tokens.filter { (try? OAuthScope($0)) == nil } == ["futurething:xyz"])
        #expect(try ScopeSet(granted: tokens.joined(separator: " ")).unrecognized.count == 1)
    }
}
