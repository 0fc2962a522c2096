import ATProtoDevServer
import ATProtoOAuth
import Foundation
import Testing

/// The token endpoint: code exchange (R19, R20) and refresh (R24).
@Suite("Dev authorization server: token")
struct TokenTests {
    /// PAR + auto-approved authorize; returns what a code exchange needs.
    func code(_ harness: DevHarness, key: DPoPKey, issuer: URL? = nil) async throws -> (
        code: String, pkce: PKCE, par: PushedAuthorizationRequest, nonce: String
    ) {
        let issuer = issuer ?? harness.entryway
        let pkce = PKCE()
        let par = harness.parRequest(pkce: pkce)
        let (requestURI, nonce) = try await harness.pushed(par, issuer: issuer, key: key)
        let redirect = try await RawHTTP.send("GET", harness.authorizeURL(issuer: issuer, requestURI: requestURI))
        return (try #require(redirect.locationQuery["code"]), pkce, par, nonce)
    }

    @Test("R20: the token response is DPoP-typed with sub, scope and expires_in")
    func exchange() async throws {
        try await DevHarness.with(.init(autoApprove: true)) { harness in
            let login = try await harness.login(loginHint: "alice.test")
            let validated = try login.tokens.validate(
                requestedScope: DevHarness.scope, expectedSubject: try DID("did:plc:alicetestdevaccount2222a"))
            #expect(login.tokens.tokenType == "DPoP")
            #expect(login.tokens.expiresIn == 300)
            #expect(login.tokens.scope == DevHarness.scope)
            #expect(login.tokens.refreshToken != nil)
            _ = validated
        }
    }

    @Test("R15: a code_verifier that does not match the challenge → invalid_grant")
    func pkceMismatch() async throws {
        try await DevHarness.with(.init(autoApprove: true)) { harness in
            let key = DPoPKey.generate()
            let grant = try await code(harness, key: key)
            let response = try await harness.sendToken(
                .authorizationCode(
                    code: grant.code, codeVerifier: PKCE().verifier, redirectURI: grant.par.redirectURI,
                    clientID: DevHarness.clientID), issuer: harness.entryway, key: key, nonce: grant.nonce)
            #expect(response.status == 400)
            #expect(harness.oauthError(response) == "invalid_grant")
        }
    }

    @Test("R19: a reused code → invalid_grant, and the tokens it produced are revoked")
    func reusedCode() async throws {
        try await DevHarness.with(.init(autoApprove: true)) { harness in
            let key = DPoPKey.generate()
            let grant = try await code(harness, key: key)
            let request = TokenRequest.authorizationCode(
                code: grant.code, codeVerifier: grant.pkce.verifier, redirectURI: grant.par.redirectURI,
                clientID: DevHarness.clientID)
            let first = try await harness.sendToken(request, issuer: harness.entryway, key: key, nonce: grant.nonce)
            let tokens = try TokenResponse.parse(first)
            let second = try await harness.sendToken(request, issuer: harness.entryway, key: key, nonce: grant.nonce)
            #expect(second.status == 400)
            #expect(harness.oauthError(second) == "invalid_grant")
            let session = try await harness.getSession(pds: harness.entrywayPDS, token: tokens.accessToken, key: key)
            #expect(session.status == 401)
            #expect(DPoPNonce.resourceServerError(session) == "invalid_token")
        }
    }

    @Test("R17: the code must be exchanged with the PAR's DPoP key")
    func codeWithOtherKey() async throws {
        try await DevHarness.with(.init(autoApprove: true)) { harness in
            let grant = try await code(harness, key: .generate())
            let response = try await harness.sendToken(
                .authorizationCode(
                    code: grant.code, codeVerifier: grant.pkce.verifier, redirectURI: grant.par.redirectURI,
                    clientID: DevHarness.clientID), issuer: harness.entryway, key: .generate(), nonce: grant.nonce)
            #expect(response.status == 400)
            #expect(harness.oauthError(response) == "invalid_dpop_proof")
        }
    }

    @Test("R24: refresh rotates: new tokens, the old refresh token is spent")
    func refreshRotates() async throws {
        try await DevHarness.with(.init(autoApprove: true)) { harness in
            let login = try await harness.login()
            let refresh = try #require(login.tokens.refreshToken)
            let response = try await harness.sendToken(
                .refresh(refreshToken: refresh, clientID: DevHarness.clientID), issuer: login.issuer, key: login.key,
                nonce: login.asNonce)
            let rotated = try TokenResponse.parse(response)
            #expect(rotated.refreshToken != refresh)
            #expect(rotated.accessToken != login.tokens.accessToken)
            #expect(rotated.sub == login.tokens.sub)
            let session = try await harness.getSession(
                pds: harness.entrywayPDS, token: rotated.accessToken, key: login.key)
            #expect(session.status == 200)
        }
    }

    @Test("R24: a replayed refresh token → invalid_grant and the whole session dies")
    func refreshReplay() async throws {
        try await DevHarness.with(.init(autoApprove: true)) { harness in
            let login = try await harness.login()
            let refresh = try #require(login.tokens.refreshToken)
            let request = TokenRequest.refresh(refreshToken: refresh, clientID: DevHarness.clientID)
            let rotated = try TokenResponse.parse(
                try await harness.sendToken(request, issuer: login.issuer, key: login.key, nonce: login.asNonce))
            let replay = try await harness.sendToken(
                request, issuer: login.issuer, key: login.key, nonce: login.asNonce)
            #expect(replay.status == 400)
            #expect(harness.oauthError(replay) == "invalid_grant")
            // The new tokens die with the session.
            let session = try await harness.getSession(
                pds: harness.entrywayPDS, token: rotated.accessToken, key: login.key)
            #expect(session.status == 401)
            #expect(DPoPNonce.resourceServerError(session) == "invalid_token")
            let next = try await harness.sendToken(
                .refresh(refreshToken: try #require(rotated.refreshToken), clientID: DevHarness.clientID),
                issuer: login.issuer, key: login.key, nonce: login.asNonce)
            #expect(next.status == 400)
            #expect(harness.oauthError(next) == "invalid_grant")
        }
    }

    @Test("R24: a refresh signed with another DPoP key is refused, the token stays usable")
    func refreshWithOtherKey() async throws {
        try await DevHarness.with(.init(autoApprove: true)) { harness in
            let login = try await harness.login()
            let request = TokenRequest.refresh(
                refreshToken: try #require(login.tokens.refreshToken), clientID: DevHarness.clientID)
            let stolen = try await harness.sendToken(
                request, issuer: login.issuer, key: .generate(), nonce: login.asNonce)
            #expect(stolen.status == 400)
            #expect(harness.oauthError(stolen) == "invalid_dpop_proof")
            let legit = try await harness.sendToken(request, issuer: login.issuer, key: login.key, nonce: login.asNonce)
            #expect(legit.status == 200)
        }
    }

    @Test("R27: revocation answers 200 and the session's tokens stop working")
    func revocation() async throws {
        try await DevHarness.with(.init(autoApprove: true)) { harness in
            let login = try await harness.login()
            let endpoint = harness.url(login.issuer, "/oauth/revoke")
            let proof = try DPoPProof.make(
                key: login.key, method: "POST", url: endpoint, nonce: login.asNonce, accessToken: nil, now: Date())
            let revoke = RevocationRequest(
                token: try #require(login.tokens.refreshToken), clientID: DevHarness.clientID)
            let response = try await harness.transport.send(revoke.httpRequest(endpoint: endpoint, dpopProof: proof))
            #expect(response.status == 200)
            let session = try await harness.getSession(
                pds: harness.entrywayPDS, token: login.tokens.accessToken, key: login.key)
            #expect(session.status == 401)
            #expect(DPoPNonce.resourceServerError(session) == "invalid_token")
            let unknown = RevocationRequest(token: "never-issued", clientID: DevHarness.clientID)
            let proof2 = try DPoPProof.make(
                key: login.key, method: "POST", url: endpoint, nonce: login.asNonce, accessToken: nil, now: Date())
            #expect(
                try await harness.transport.send(unknown.httpRequest(endpoint: endpoint, dpopProof: proof2)).status
                    == 200)
        }
    }
}
