import ATProtoDevServer
import ATProtoOAuth
import Foundation
import Testing

/// The PDS as a resource server: DPoP-bound tokens (R22, R23, R25).
@Suite("Dev PDS: getSession")
struct ResourceTests {
    @Test("R23: getSession asks for a nonce with 401 use_dpop_nonce, then returns the DID")
    func nonceThenSession() async throws {
        try await DevHarness.with(.init(autoApprove: true)) { harness in
            let login = try await harness.login(loginHint: "bob.test")
            let endpoint = harness.url(harness.entrywayPDS, "/xrpc/com.atproto.server.getSession")
            let proof = try DPoPProof.make(
                key: login.key, method: "GET", url: endpoint, nonce: nil, accessToken: login.tokens.accessToken,
                now: Date())
            let first = try await harness.transport.send(
                HTTPRequest(
                    method: "GET", url: endpoint,
                    headers: [("Authorization", "DPoP \(login.tokens.accessToken)"), ("DPoP", proof)]))
            #expect(first.status == 401)
            #expect(DPoPNonce.isResourceServerChallenge(first))
            #expect(DPoPNonce.fromResponse(first) != nil)
            let session = try await harness.getSession(
                pds: harness.entrywayPDS, token: login.tokens.accessToken, key: login.key)
            #expect(session.status == 200)
            let body = try harness.json(session)
            #expect(body["did"]?.stringValue == "did:plc:bobtestdevaccount2222222")
            #expect(body["handle"]?.stringValue == "bob.test")
            #expect(body["active"]?.boolValue == true)
        }
    }

    @Test("Self-hosted PDS: carol logs in at the PDS's own AS and uses the token there")
    func selfHosted() async throws {
        try await DevHarness.with(.init(autoApprove: true)) { harness in
            let login = try await harness.login(issuer: harness.selfHostedPDS)
            #expect(login.tokens.sub == "did:plc:caroltestdevaccount22222")
            let session = try await harness.getSession(
                pds: harness.selfHostedPDS, token: login.tokens.accessToken, key: login.key)
            #expect(session.status == 200)
            let elsewhere = try await harness.getSession(
                pds: harness.entrywayPDS, token: login.tokens.accessToken, key: login.key)
            #expect(elsewhere.status == 401)
            #expect(DPoPNonce.resourceServerError(elsewhere) == "invalid_token")
        }
    }

    @Test("R22: a proof from another key than the token's is refused")
    func wrongKey() async throws {
        try await DevHarness.with(.init(autoApprove: true)) { harness in
            let login = try await harness.login()
            let response = try await harness.getSession(
                pds: harness.entrywayPDS, token: login.tokens.accessToken, key: .generate())
            #expect(response.status == 401)
            #expect(DPoPNonce.resourceServerError(response) == "invalid_dpop_proof")
        }
    }

    @Test("R22: the Bearer scheme is refused for a DPoP-bound token")
    func bearer() async throws {
        try await DevHarness.with(.init(autoApprove: true)) { harness in
            let login = try await harness.login()
            let response = try await harness.getSession(
                pds: harness.entrywayPDS, token: login.tokens.accessToken, key: login.key, scheme: "Bearer")
            #expect(response.status == 401)
            #expect(DPoPNonce.resourceServerError(response) == "invalid_token")
        }
    }

    @Test("R25: an expired access token → 401 invalid_token")
    func expired() async throws {
        let clock = DevClock.manual()
        try await DevHarness.with(.init(autoApprove: true, accessTokenLifetime: .seconds(10), clock: clock)) {
            harness in
            let login = try await harness.login()
            clock.advance(by: .seconds(11))
            let response = try await harness.getSession(
                pds: harness.entrywayPDS, token: login.tokens.accessToken, key: login.key)
            #expect(response.status == 401)
            #expect(DPoPNonce.resourceServerError(response) == "invalid_token")
        }
    }

    @Test("R22: a proof without ath, or for another token, is refused")
    func missingATH() async throws {
        try await DevHarness.with(.init(autoApprove: true)) { harness in
            let login = try await harness.login()
            let endpoint = harness.url(harness.entrywayPDS, "/xrpc/com.atproto.server.getSession")
            let first = try await harness.getSession(
                pds: harness.entrywayPDS, token: login.tokens.accessToken, key: login.key)
            let nonce = DPoPNonce.fromResponse(first)
            let proof = try DPoPProof.make(
                key: login.key, method: "GET", url: endpoint, nonce: nonce, accessToken: "other-token", now: Date())
            let response = try await harness.transport.send(
                HTTPRequest(
                    method: "GET", url: endpoint,
                    headers: [("Authorization", "DPoP \(login.tokens.accessToken)"), ("DPoP", proof)]))
            #expect(response.status == 401)
            #expect(DPoPNonce.resourceServerError(response) == "invalid_dpop_proof")
        }
    }
}
