import ATProtoDevServer
import ATProtoOAuth
import Foundation
import Testing

/// Every way a strict server refuses a pushed authorization request (R14–R17, R22, R23).
@Suite("Dev authorization server: PAR")
struct PARTests {
    @Test("R23: PAR without a nonce → 400 use_dpop_nonce + DPoP-Nonce; with it → 201")
    func nonceDance() async throws {
        try await DevHarness.with { harness in
            let key = DPoPKey.generate()
            let first = try await harness.sendPAR(harness.parRequest(), issuer: harness.entryway, key: key, nonce: nil)
            #expect(first.status == 400)
            #expect(harness.oauthError(first) == "use_dpop_nonce")
            let nonce = try #require(DPoPNonce.fromResponse(first))
            let second = try await harness.sendPAR(
                harness.parRequest(), issuer: harness.entryway, key: key, nonce: nonce)
            #expect(second.status == 201)
            let parsed = try PushedAuthorizationResponse.parse(second)
            #expect(parsed.requestURI.hasPrefix("urn:ietf:params:oauth:request_uri:"))
            #expect(parsed.expiresIn == 60)
            #expect(DPoPNonce.fromResponse(second) == nonce)
        }
    }

    @Test("R23: a made-up nonce is refused with use_dpop_nonce")
    func staleNonce() async throws {
        try await DevHarness.with { harness in
            let response = try await harness.sendPAR(
                harness.parRequest(), issuer: harness.entryway, key: .generate(), nonce: "not-the-nonce")
            #expect(response.status == 400)
            #expect(harness.oauthError(response) == "use_dpop_nonce")
        }
    }

    @Test("R17: PAR without a DPoP proof → 400 invalid_dpop_proof")
    func noDPoP() async throws {
        try await DevHarness.with { harness in
            let endpoint = harness.url(harness.entryway, "/oauth/par")
            let request = DevHarness.formPost(endpoint: endpoint, items: harness.parRequest().formItems, dpopProof: nil)
            let response = try await harness.transport.send(request)
            #expect(response.status == 400)
            #expect(harness.oauthError(response) == "invalid_dpop_proof")
        }
    }

    /// Sends a PAR whose proof is built by `makeProof(key, endpoint, nonce)`.
    func rejected(
        _ expected: String = "invalid_dpop_proof",
        _ makeProof: @Sendable (DPoPKey, URL, String) throws -> String
    ) async throws {
        try await DevHarness.with { harness in
            let key = DPoPKey.generate()
            let nonce = try await harness.asNonce(harness.entryway, key: key)
            let proof = try makeProof(key, harness.url(harness.entryway, "/oauth/par"), nonce)
            let response = try await harness.sendPAR(
                harness.parRequest(), issuer: harness.entryway, key: key, nonce: nonce, proof: proof)
            #expect(response.status == 400)
            #expect(harness.oauthError(response) == expected)
        }
    }

    @Test("R22: a proof whose signature does not verify → invalid_dpop_proof")
    func badSignature() async throws {
        try await rejected { key, endpoint, nonce in
            let proof = try DPoPProof.make(
                key: key, method: "POST", url: endpoint, nonce: nonce, accessToken: nil, now: Date())
            let other = try DPoPProof.make(
                key: .generate(), method: "POST", url: endpoint, nonce: nonce, accessToken: nil, now: Date())
            let parts = proof.split(separator: ".")
            let otherSignature = other.split(separator: ".")[2]
            return "\(parts[0]).\(parts[1]).\(otherSignature)"
        }
    }

    @Test("R22: wrong htm → invalid_dpop_proof")
    func wrongMethod() async throws {
        try await rejected { key, endpoint, nonce in
            try DPoPProof.make(key: key, method: "GET", url: endpoint, nonce: nonce, accessToken: nil, now: Date())
        }
    }

    @Test("R22: wrong htu → invalid_dpop_proof")
    func wrongURL() async throws {
        try await rejected { key, endpoint, nonce in
            let other = URL(
                string: endpoint.absoluteString.replacingOccurrences(of: "/oauth/par", with: "/oauth/token"))
            return try DPoPProof.make(
                key: key, method: "POST", url: try #require(other), nonce: nonce, accessToken: nil, now: Date())
        }
    }

    @Test("R22: iat five minutes old → invalid_dpop_proof")
    func staleIAT() async throws {
        try await rejected { key, endpoint, nonce in
            try DPoPProof.make(
                key: key, method: "POST", url: endpoint, nonce: nonce, accessToken: nil, now: Date() - 300)
        }
    }

    @Test("R22: iat five minutes ahead → invalid_dpop_proof")
    func futureIAT() async throws {
        try await rejected { key, endpoint, nonce in
            try DPoPProof.make(
                key: key, method: "POST", url: endpoint, nonce: nonce, accessToken: nil, now: Date() + 300)
        }
    }

    @Test("R22: a replayed proof (same jti) → invalid_dpop_proof")
    func replayedJTI() async throws {
        try await DevHarness.with { harness in
            let key = DPoPKey.generate()
            let nonce = try await harness.asNonce(harness.entryway, key: key)
            let proof = try DPoPProof.make(
                key: key, method: "POST", url: harness.url(harness.entryway, "/oauth/par"), nonce: nonce,
                accessToken: nil, now: Date())
            let first = try await harness.sendPAR(
                harness.parRequest(), issuer: harness.entryway, key: key, nonce: nonce, proof: proof)
            #expect(first.status == 201)
            let replay = try await harness.sendPAR(
                harness.parRequest(), issuer: harness.entryway, key: key, nonce: nonce, proof: proof)
            #expect(replay.status == 400)
            #expect(harness.oauthError(replay) == "invalid_dpop_proof")
        }
    }

    /// Sends a PAR with edited form items (after the nonce dance).
    func rejectedForm(_ expected: String, edit: @Sendable ([(String, String)]) -> [(String, String)]) async throws {
        try await DevHarness.with { harness in
            let key = DPoPKey.generate()
            let nonce = try await harness.asNonce(harness.entryway, key: key)
            let endpoint = harness.url(harness.entryway, "/oauth/par")
            let proof = try DPoPProof.make(
                key: key, method: "POST", url: endpoint, nonce: nonce, accessToken: nil, now: Date())
            let request = DevHarness.formPost(
                endpoint: endpoint, items: edit(harness.parRequest().formItems), dpopProof: proof)
            let response = try await harness.transport.send(request)
            #expect(response.status == 400)
            #expect(harness.oauthError(response) == expected)
        }
    }

    static func replacing(_ name: String, with value: String) -> @Sendable ([(String, String)]) -> [(String, String)] {
        { items in items.map { $0.0 == name ? (name, value) : $0 } }
    }

    @Test("R15: code_challenge_method=plain → invalid_request")
    func plainPKCE() async throws {
        try await rejectedForm("invalid_request", edit: Self.replacing("code_challenge_method", with: "plain"))
    }

    @Test("R12: a localhost redirect URI is refused")
    func localhostRedirect() async throws {
        try await rejectedForm(
            "invalid_request", edit: Self.replacing("redirect_uri", with: "http://localhost:61234/callback"))
    }

    @Test("R12: a loopback redirect URI with another path is refused")
    func otherPathRedirect() async throws {
        try await rejectedForm(
            "invalid_request", edit: Self.replacing("redirect_uri", with: "http://127.0.0.1:61234/other"))
    }

    @Test("R28: a scope the client did not declare → invalid_scope")
    func undeclaredScope() async throws {
        try await rejectedForm("invalid_scope", edit: Self.replacing("scope", with: "atproto transition:email"))
    }

    @Test("R13: a malformed development client id → invalid_client")
    func badClientID() async throws {
        try await rejectedForm("invalid_client", edit: Self.replacing("client_id", with: "http://localhost:8080/"))
    }

    @Test("R23: nonces rotate; the previous one is accepted for one more period, then refused")
    func nonceRotation() async throws {
        // A manual clock: the rotation is decided by the dev network's clock alone, so the
        // outcome does not depend on how long the requests take on a loaded machine. Each
        // step stays well inside the 60 s DPoP `iat` window the proofs are checked against.
        let clock = DevClock.manual()
        try await DevHarness.with(.init(nonceLifetime: .seconds(10), clock: clock)) { harness in
            let key = DPoPKey.generate()
            let nonce = try await harness.asNonce(harness.entryway, key: key)
            clock.advance(by: .seconds(11))
            let previous = try await harness.sendPAR(
                harness.parRequest(), issuer: harness.entryway, key: key, nonce: nonce)
            #expect(previous.status == 201)
            let rotated = try #require(DPoPNonce.fromResponse(previous))
            #expect(rotated != nonce)
            clock.advance(by: .seconds(11))
            let stale = try await harness.sendPAR(
                harness.parRequest(), issuer: harness.entryway, key: key, nonce: nonce)
            #expect(stale.status == 400)
            #expect(harness.oauthError(stale) == "use_dpop_nonce")
            #expect(DPoPNonce.fromResponse(stale) != rotated)
        }
    }
}
