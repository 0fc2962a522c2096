import ATProtoOAuth
import Foundation
import Testing

@Suite("PendingAuthorization and the in-memory state store (R16)")
struct PendingAuthorizationTests {
    final class Clock: @unchecked Sendable {
        private let lock = NSLock()
        private var current = Date(timeIntervalSince1970: 1_700_000_000)
        var now: Date { lock.withLock { current } }
        func advance(_ seconds: TimeInterval) { lock.withLock { current += seconds } }
    }

    static func pending(state: String = "state-\(UUID().uuidString)", createdAt: Date = Date()) throws
        -> PendingAuthorization
    {
        let issuer = try #require(URL(string: "https://auth.example"))
        return PendingAuthorization(
            state: state, issuer: "https://auth.example", tokenEndpoint: issuer.appending(path: "oauth/token"),
            revocationEndpoint: issuer.appending(path: "oauth/revoke"),
            pushedAuthorizationRequestEndpoint: issuer.appending(path: "oauth/par"),
            authorizationEndpoint: issuer.appending(path: "oauth/authorize"), dpopKey: DPoPKey.generate().privateJWK,
            pkceVerifier: PKCE().verifier, redirectURI: "https://app.example/callback",
            clientID: "https://app.example/client-metadata.json", scope: "atproto transition:generic",
            expectedDID: try DID("did:plc:abcdefghijklmnopqrstuvwx"), expectedHandle: try Handle("alice.example"),
            expectedPDS: try #require(URL(string: "https://pds.example")),
            dpopNonces: ["https://auth.example": "nonce-1"], createdAt: createdAt)
    }

    @Test("Codable: a store can persist it and get every field back")
    func roundTrip() throws {
        let pending = try Self.pending(createdAt: Date(timeIntervalSince1970: 1_700_000_000))
        let data = try JSONEncoder().encode(pending)
        #expect(try JSONDecoder().decode(PendingAuthorization.self, from: data) == pending)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["token_endpoint"] as? String == "https://auth.example/oauth/token")
        #expect(object["pkce_verifier"] as? String == pending.pkceVerifier)
        #expect((object["dpop_nonces"] as? [String: String])?["https://auth.example"] == "nonce-1")
    }

    @Test("Its description, debug description and dump redact the state, the verifier and the private key")
    func redaction() throws {
        let pending = try Self.pending()
        let secrets = [pending.state, pending.pkceVerifier, try #require(pending.dpopKey.d)]
        var dumped = ""
        dump(pending, to: &dumped)
        for shown in [pending.description, pending.debugDescription, String(reflecting: pending), "\(pending)", dumped]
        {
            for secret in secrets { #expect(!shown.contains(secret), "\(shown)") }
            #expect(shown.contains("<redacted>"))
        }
        #expect(pending.description.contains("https://auth.example"))
        #expect(pending.description.contains("did:plc:abcdefghijklmnopqrstuvwx"))
    }

    @Test("Expiry: usable for ten minutes by default, then spent")
    func expiry() throws {
        let created = Date(timeIntervalSince1970: 1_700_000_000)
        let pending = try Self.pending(createdAt: created)
        #expect(!pending.isExpired(at: created.addingTimeInterval(599)))
        #expect(pending.isExpired(at: created.addingTimeInterval(601)))
        #expect(pending.isExpired(at: created.addingTimeInterval(61), lifetime: .seconds(60)))
    }

    @Test("R16: the in-memory store hands an entry out once, never when expired, and drops expired entries")
    func inMemoryStore() async throws {
        let clock = Clock()
        let store = InMemoryAuthorizationStateStore(now: { clock.now })
        let first = try Self.pending(state: "one", createdAt: clock.now)
        await store.save(first)
        #expect(await store.take(state: "other") == nil)
        #expect(await store.take(state: "one") == first)
        #expect(await store.take(state: "one") == nil, "taken twice")

        await store.save(try Self.pending(state: "two", createdAt: clock.now))
        clock.advance(601)
        #expect(await store.take(state: "two") == nil, "expired entry returned")

        await store.save(try Self.pending(state: "three", createdAt: clock.now))
        clock.advance(601)
        await store.save(try Self.pending(state: "four", createdAt: clock.now))
        #expect(await store.count == 1, "the expired entry was kept")
        #expect(await store.take(state: "four")?.state == "four")
    }
}
