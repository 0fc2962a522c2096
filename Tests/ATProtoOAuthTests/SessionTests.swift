import Foundation
import Testing

@testable import ATProtoOAuth

@Suite("Session (item 8, R23, R26)")
struct SessionTests {
    static func make() throws -> Session {
        Session(
            did: try DID("did:plc:ewvi7nxzyoun6zhxrhs64oiz"), handle: try Handle("alice.bsky.social"),
            pds: MetadataFixture.url("https://morel.us-east.host.bsky.network"), issuer: "https://bsky.social",
            tokenEndpoint: MetadataFixture.url("https://bsky.social/oauth/token"),
            revocationEndpoint: MetadataFixture.url("https://bsky.social/oauth/revoke"),
            pushedAuthorizationRequestEndpoint: MetadataFixture.url("https://bsky.social/oauth/par"),
            authorizationEndpoint: MetadataFixture.url("https://bsky.social/oauth/authorize"),
            clientID: "http://localhost",
            redirectURI: "http://127.0.0.1/", scope: try ScopeSet("atproto transition:generic"),
            accessToken: "access-token-secret", refreshToken: "refresh-token-secret",
            expiresAt: Date(timeIntervalSince1970: 1_800_000_000.5), dpopKey: DPoPKey.generate().privateJWK,
            dpopNonces: ["https://bsky.social": "n-as", "https://morel.us-east.host.bsky.network": "n-pds"],
            createdAt: Date(timeIntervalSince1970: 1_799_990_000))
    }

    @Test("round trip through the JSON codec is exact")
    func roundTrip() throws {
        let session = try Self.make()
        let data = try session.encoded()
        #expect(try Session.decode(data) == session)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains(#""version" : 1"#))
        #expect(text.contains(#""expires_at" : "2027-01-15T08:00:00.500Z""#))
        #expect(text.contains(#""scope" : "atproto transition:generic""#))
        #expect(text.contains(#""needs_login" : false"#))
        // sorted keys: access_token comes first
        #expect(text.hasPrefix("{\n  \"access_token\""))
    }

    @Test("description and debugDescription contain no token and no private key")
    func redaction() throws {
        let session = try Self.make()
        let d = try #require(session.dpopKey.d)
        for text in [session.description, session.debugDescription, "\(session)", String(reflecting: session)] {
            #expect(!text.contains("access-token-secret"))
            #expect(!text.contains("refresh-token-secret"))
            #expect(!text.contains(d))
            #expect(text.contains("did:plc:ewvi7nxzyoun6zhxrhs64oiz"))
        }
    }

    @Test("future versions are refused with a clear message; unknown old versions too")
    func versions() throws {
        var object = try #require(JSONValue.parse(try Self.make().encoded(), source: "s").objectValue)
        object["version"] = .number(2)
        let future = #expect(throws: ATProtoOAuthError.self) {
            try Session.decode(JSONEncoder().encode(JSONValue.object(object)))
        }
        #expect(
            future?.code == .invalidSession && future?.field == "version" && future?.reason.contains("newer") == true)
        object["version"] = .number(0)
        let old = #expect(throws: ATProtoOAuthError.self) {
            try Session.decode(JSONEncoder().encode(JSONValue.object(object)))
        }
        #expect(old?.field == "version")
        object["version"] = nil
        let missing = #expect(throws: ATProtoOAuthError.self) {
            try Session.decode(JSONEncoder().encode(JSONValue.object(object)))
        }
        #expect(missing?.field == "version")
    }

    @Test(
        "decode errors name the field",
        arguments: ["did", "token_endpoint", "access_token", "dpop_key", "expires_at", "scope"])
    func fieldErrors(_ field: String) throws {
        var object = try #require(JSONValue.parse(try Self.make().encoded(), source: "s").objectValue)
        object[field] = nil
        let missing = #expect(throws: ATProtoOAuthError.self) {
            try Session.decode(JSONEncoder().encode(JSONValue.object(object)))
        }
        #expect(missing?.code == .invalidSession && missing?.field == field)
        object[field] = .number(1)
        let wrong = #expect(throws: ATProtoOAuthError.self) {
            try Session.decode(JSONEncoder().encode(JSONValue.object(object)))
        }
        #expect(wrong?.field?.hasPrefix(field) == true)
        #expect(wrong?.description.contains("access-token-secret") == false)
    }

    @Test("optional fields may be absent; nonces and needs_login default")
    func optionalFields() throws {
        var object = try #require(JSONValue.parse(try Self.make().encoded(), source: "s").objectValue)
        for key in [
            "handle", "refresh_token", "revocation_endpoint", "dpop_nonces", "needs_login", "refreshed_at",
            "redirect_uri",
        ] {
            object[key] = nil
        }
        let session = try Session.decode(JSONEncoder().encode(JSONValue.object(object)))
        #expect(
            session.handle == nil && session.refreshToken == nil && session.dpopNonces.isEmpty && !session.needsLogin)
    }

    @Test("R26: expiry helper and applying a refreshed token")
    func applying() throws {
        var session = try Self.make()
        session.needsLogin = true
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(session.accessTokenExpires(within: 60, now: now))
        #expect(!session.accessTokenExpires(within: 60, now: now.addingTimeInterval(-120)))
        let token = ValidatedToken(
            accessToken: "new-access", refreshToken: "new-refresh", expiresIn: 1800, scope: try ScopeSet("atproto"),
            sub: session.did)
        let next = session.applying(token, now: now)
        #expect(next.accessToken == "new-access" && next.refreshToken == "new-refresh")
        #expect(next.expiresAt == now.addingTimeInterval(1800) && next.refreshedAt == now && !next.needsLogin)
        #expect(next.scope.description == "atproto")
        #expect(next.dpopNonces == session.dpopNonces && next.createdAt == session.createdAt)
        let noRefresh = ValidatedToken(
            accessToken: "a2", refreshToken: nil, expiresIn: nil, scope: try ScopeSet("atproto"), sub: session.did)
        let kept = session.applying(noRefresh, now: now)
        #expect(kept.refreshToken == "refresh-token-secret")
        #expect(kept.expiresAt == now.addingTimeInterval(Session.assumedAccessTokenLifetime))
    }

    @Test("R20: the granted scope is stored verbatim and round-trips exactly; the parsed view stays available")
    func verbatimScope() throws {
        let granted =
            "atproto  repo:com.example.dev.post?action=delete&action=create "
            + "rpc?lxm=a.b.c&lxm=d.e.f&aud=did:web:api.bsky.app#bsky_appview futurething:xyz atproto"
        var session = try Self.make()
        session.scope = try ScopeSet(granted: granted)
        let data = try session.encoded()
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains(#""scope" : "\#(granted)""#))
        let decoded = try Session.decode(data)
        #expect(decoded == session)
        #expect(decoded.scope.rawValue == granted && decoded.scope.description == granted)
        #expect(decoded.scope.scopes.count == 4 && decoded.scope.unrecognized.count == 1)
        #expect(decoded.description.contains(granted))
        let token = ValidatedToken(
            accessToken: "a", refreshToken: nil, expiresIn: 60, scope: try ScopeSet(granted: granted), sub: session.did)
        #expect(try Self.make().applying(token, now: Date()).scope.rawValue == granted)
    }

    @Test("R20: session files that stored the canonical scope, or a form this build rejects, still load")
    func oldScopeFormats() throws {
        var object = try #require(JSONValue.parse(try Self.make().encoded(), source: "s").objectValue)
        for stored in ["atproto transition:generic", "atproto repo:app.bsky.feed.post", "atproto rpc:a.b.c newthing:x"]
        {
            object["scope"] = .string(stored)
            let session = try Session.decode(JSONEncoder().encode(JSONValue.object(object)))
            #expect(session.scope.rawValue == stored)
        }
    }
}

@Suite("Session file dates")
struct SessionDateTests {
    @Test("R24: dates survive decode → encode unchanged, so a re-encoded session equals its file")
    func iso8601RoundTripIsStable() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let date = Date(timeIntervalSince1970: Double.random(in: 1_600_000_000...2_000_000_000, using: &generator))
            let printed = Session.iso8601(date)
            let parsed = try #require(Session.parseISO8601(printed), "\(printed) does not parse")
            #expect(Session.iso8601(parsed) == printed, "\(printed) re-encodes differently")
            // Half a millisecond of rounding, plus the doubles' own error near 2e9 s (an ulp is
            // 2.4e-7 s): a bare 0.0005 failed once, on 0.000500083.
            #expect(abs(parsed.timeIntervalSince(date)) <= 0.000_501)
        }
        #expect(Session.iso8601(Date(timeIntervalSince1970: 0.9996)) == "1970-01-01T00:00:01.000Z")
    }
}
