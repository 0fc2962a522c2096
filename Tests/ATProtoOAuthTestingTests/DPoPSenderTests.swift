import ATProtoOAuthTesting
import Foundation
import Testing

/// `DPoPSender` over the scripted transport: proofs as the server sees them (decoded from the
/// recorded `DPoP` header) and nonce challenges from both kinds of server (R22, R23).
@Suite("DPoPSender: proofs and nonce challenges")
struct DPoPSenderTests {
    static let tokenURL = "https://as.example.com/oauth/token"
    static let resourceURL = "https://pds.example.com/xrpc/com.atproto.server.getSession"

    @Test("R22/R23: an AS nonce challenge (400 use_dpop_nonce) is retried once with the new nonce in the proof")
    func authorizationServerChallenge() async throws {
        let transport = ScriptedTransport()
        transport.route(
            Self.tokenURL, method: "POST",
            responses: [ScriptedTransport.oauthError("use_dpop_nonce", dpopNonce: "as-n1"), .json("{}")])
        var nonces: [String: String] = [:]
        let url = try #require(URL(string: Self.tokenURL + "?ignored=1#frag"))
        let response = try await DPoPSender(transport: transport, key: .generate(), now: { Date() }).send(
            method: "POST", url: url, nonces: &nonces
        ) { proof in HTTPRequest(method: "POST", url: url, headers: [("DPoP", proof)]) }

        #expect(response.status == 200)
        let proofs = try transport.requests.map { try $0.dpopProof() }
        #expect(proofs.count == 2)
        #expect(proofs.map(\.nonce) == [nil, "as-n1"])
        #expect(proofs.allSatisfy { $0.htm == "POST" && $0.htu == Self.tokenURL })
        #expect(proofs.allSatisfy { $0.ath == nil })
        #expect(proofs[0].jti != proofs[1].jti)
        #expect(nonces == ["https://as.example.com": "as-n1"])
    }

    @Test("R22/R23: a resource-server challenge (401 DPoP error=use_dpop_nonce) is retried once; ath is the token hash")
    func resourceServerChallenge() async throws {
        let transport = ScriptedTransport()
        transport.route(
            Self.resourceURL,
            responses: [ScriptedTransport.resourceNonceChallenge("pds-n1"), .json(#"{"did":"did:plc:x"}"#)])
        var nonces: [String: String] = [:]
        let url = try #require(URL(string: Self.resourceURL + "?a=1&a=2"))
        let response = try await DPoPSender(transport: transport, key: .generate(), now: { Date() }).send(
            method: "GET", url: url, accessToken: "token-1", nonces: &nonces
        ) { proof in
            HTTPRequest(method: "GET", url: url, headers: [("Authorization", "DPoP token-1"), ("DPoP", proof)])
        }

        #expect(response.status == 200)
        let proofs = try transport.requests.map { try $0.dpopProof() }
        #expect(proofs.map(\.nonce) == [nil, "pds-n1"])
        #expect(proofs.allSatisfy { $0.htm == "GET" && $0.htu == Self.resourceURL })
        #expect(proofs.allSatisfy { $0.ath == DPoPProof.accessTokenHash("token-1") })
        #expect(nonces == ["https://pds.example.com": "pds-n1"])
    }

    @Test("R23: a challenge that keeps coming is retried once only, not looped")
    func challengeRetriedOnceOnly() async throws {
        let transport = ScriptedTransport()
        let counter = Counter()
        transport.route(Self.tokenURL) { _ in
            ScriptedTransport.oauthError("use_dpop_nonce", dpopNonce: "n\(counter.next())")
        }
        var nonces: [String: String] = [:]
        let url = try #require(URL(string: Self.tokenURL))
        let response = try await DPoPSender(transport: transport, key: .generate(), now: { Date() }).send(
            method: "POST", url: url, nonces: &nonces
        ) { proof in HTTPRequest(method: "POST", url: url, headers: [("DPoP", proof)]) }
        #expect(response.status == 400)
        #expect(transport.requests.count == 2)
        #expect(nonces["https://as.example.com"] == "n2", "the latest nonce is kept for next time")
    }

    @Test("R23: nonces are kept per origin: the AS's never goes to the PDS, and each is reused for its own server")
    func noncesPerOrigin() async throws {
        let transport = ScriptedTransport()
        transport.route(Self.tokenURL, respond: .json("{}", headers: [("DPoP-Nonce", "as-n")]))
        transport.route(Self.resourceURL, respond: .json("{}", headers: [("DPoP-Nonce", "pds-n")]))
        let sender = DPoPSender(transport: transport, key: .generate(), now: { Date() })
        var nonces: [String: String] = [:]
        for url in [Self.tokenURL, Self.resourceURL, Self.tokenURL, Self.resourceURL] {
            let target = try #require(URL(string: url))
            _ = try await sender.send(method: "POST", url: target, nonces: &nonces) { proof in
                HTTPRequest(method: "POST", url: target, headers: [("DPoP", proof)])
            }
        }
        let sent = try transport.requests.map { ($0.url.absoluteString, try $0.dpopProof().nonce) }
        #expect(sent.map(\.0) == [Self.tokenURL, Self.resourceURL, Self.tokenURL, Self.resourceURL])
        #expect(sent.map(\.1) == [nil, nil, "as-n", "pds-n"])
        #expect(nonces == ["https://as.example.com": "as-n", "https://pds.example.com": "pds-n"])
    }
}

/// Hands out 1, 2, 3, … across tasks.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0  // guarded by lock

    func next() -> Int {
        lock.withLock {
            value += 1
            return value
        }
    }
}
