import Foundation
import Testing

@testable import ATProtoOAuth

@Suite("Token response (R20, R21)")
struct TokenResponseTests {
    static let did = "did:plc:ewvi7nxzyoun6zhxrhs64oiz"

    static func body(
        accessToken: String? = "acc-secret", tokenType: String? = "DPoP", sub: String? = did,
        scope: String? = "atproto transition:generic", refreshToken: String? = "ref-secret", expiresIn: Int? = 1800
    ) -> Data {
        var object: [String: JSONValue] = [:]
        if let accessToken { object["access_token"] = .string(accessToken) }
        if let tokenType { object["token_type"] = .string(tokenType) }
        if let sub { object["sub"] = .string(sub) }
        if let scope { object["scope"] = .string(scope) }
        if let refreshToken { object["refresh_token"] = .string(refreshToken) }
        if let expiresIn { object["expires_in"] = .number(Double(expiresIn)) }
        return (try? JSONEncoder().encode(JSONValue.object(object))) ?? Data()
    }

    static func ok(_ body: Data) -> HTTPResponse {
        HTTPResponse(status: 200, headers: [(name: "Content-Type", value: "application/json")], body: body)
    }

    func validate(_ body: Data, requested: String = "atproto transition:generic", expected: String? = did) throws
        -> ValidatedToken
    {
        try TokenResponse.parse(Self.ok(body)).validate(
            requestedScope: requested, expectedSubject: try expected.map { try DID($0) })
    }

    @Test("R20: a good response validates")
    func good() throws {
        let token = try validate(Self.body())
        #expect(token.accessToken == "acc-secret" && token.refreshToken == "ref-secret" && token.expiresIn == 1800)
        #expect(token.sub.rawValue == Self.did)
        #expect(token.scope.description == "atproto transition:generic")
        #expect(token.notGranted.isEmpty)
        let text = "\(token) \(try TokenResponse.parse(Self.ok(Self.body())))"
        #expect(!text.contains("acc-secret") && !text.contains("ref-secret"))
    }

    @Test("R20: token_type is compared case-insensitively")
    func tokenTypeCase() throws {
        #expect(try validate(Self.body(tokenType: "dpop")).accessToken == "acc-secret")
    }

    @Test("R20: a partial grant is accepted and reported")
    func partialGrant() throws {
        let token = try validate(
            Self.body(scope: "atproto"), requested: "atproto transition:generic transition:chat.bsky")
        #expect(token.scope.description == "atproto")
        #expect(token.notGranted == ["transition:generic", "transition:chat.bsky"])
    }

    /// What a server returns for `atproto include:com.example.dev.basicAccess`: the permission
    /// set expanded, repeated parameters, an encoded `#`, and a form nobody knows yet.
    static let expandedGrant =
        "atproto repo:com.example.dev.post?action=create&action=delete "
        + "repo?collection=com.example.dev.like&collection=com.example.dev.repost "
        + "rpc?lxm=com.example.dev.getFeed&lxm=com.example.dev.getTimeline&aud=did:web:appview.dev.test%23dev_appview "
        + "blob?accept=image/*&accept=video/* futurething:xyz"

    @Test("R20: an expanded include: permission set validates, is kept verbatim and is not reported as refused")
    func expandedInclude() throws {
        let token = try validate(
            Self.body(scope: Self.expandedGrant), requested: "atproto include:com.example.dev.basicAccess")
        #expect(token.scope.rawValue == Self.expandedGrant && token.scope.description == Self.expandedGrant)
        #expect(token.scope.unrecognized.map(\.description) == ["futurething:xyz"])
        #expect(token.notGranted.isEmpty)
        // Refresh asks with the stored (expanded) scope: nothing is missing either.
        #expect(try validate(Self.body(scope: Self.expandedGrant), requested: Self.expandedGrant).notGranted.isEmpty)
    }

    @Test("R20: an include: is reported not granted only when the grant holds nothing it could expand into")
    func refusedInclude() throws {
        #expect(
            try validate(Self.body(scope: "atproto"), requested: "atproto include:com.example.dev.basicAccess")
                .notGranted == ["include:com.example.dev.basicAccess"])
        // Permissions the request named itself are not an expansion.
        #expect(
            try validate(
                Self.body(scope: "atproto repo:a.b.c"),
                requested: "atproto repo:a.b.c include:com.example.dev.basicAccess"
            ).notGranted == ["include:com.example.dev.basicAccess"])
        #expect(
            try validate(
                Self.body(scope: "atproto include:com.example.dev.basicAccess"),
                requested: "atproto include?nsid=com.example.dev.basicAccess"
            ).notGranted.isEmpty)
    }

    @Test("R20: notGranted compares by meaning, not spelling")
    func notGrantedByMeaning() throws {
        let token = try validate(
            Self.body(scope: "atproto repo:*?action=create&action=update rpc:a.b.c?aud=did:web:x.example.com%23s"),
            requested:
                "atproto atproto repo?collection=d.e.f&action=create rpc:a.b.c?aud=did:web:x.example.com#s "
                + "repo:d.e.f transition:generic not\"valid")
        #expect(token.notGranted == ["repo:d.e.f", "transition:generic", "not\"valid"])
    }

    @Test(
        "R20: granted forms we don't know never fail a login or a refresh",
        arguments: [
            "atproto rpc:*?aud=* transition:newthing", "atproto  futurething:xyz  ",
            "atproto repo:app.bsky.feed.post?x=1",
            "atproto account:password include:not_an_nsid", "futurething atproto",
        ])
    func toleratedGrant(_ scope: String) throws {
        let token = try validate(Self.body(scope: scope))
        #expect(token.scope.rawValue == scope && token.scope.includesATProto)
        #expect(!token.scope.unrecognized.isEmpty)
    }

    @Test("R20: only RFC 6749 syntax or a missing atproto fails a granted scope")
    func grantedSyntaxFailures() {
        for scope in ["atproto a\"b", "atproto\ttransition:generic", "atproto caf\u{E9}", "", "repo:* futurething"] {
            let error = #expect(throws: ATProtoOAuthError.self) { try validate(Self.body(scope: scope)) }
            #expect(error?.rule == "R20" && error?.field == "scope", "\(scope)")
        }
    }

    @Test("R21: without an expected subject any DID is accepted")
    func noExpectedSubject() throws {
        #expect(
            try validate(Self.body(sub: "did:web:example.com"), expected: nil).sub.rawValue == "did:web:example.com")
    }

    @Test("R20/R21: each invalid response is named")
    func failures() {
        let cases: [(Data, String, String)] = [
            (Self.body(tokenType: "Bearer"), "R20", "token_type"),
            (Self.body(sub: nil), "R20", "sub"),
            (Self.body(sub: "alice.bsky.social"), "R20", "sub"),
            (Self.body(scope: nil), "R20", "scope"),
            (Self.body(scope: "transition:generic"), "R20", "scope"),
            (Self.body(accessToken: ""), "R20", "access_token"),
            (Self.body(expiresIn: 0), "R20", "expires_in"),
            (Self.body(sub: "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"), "R21", "sub"),
        ]
        for (body, rule, field) in cases {
            let error = #expect(throws: ATProtoOAuthError.self) { try validate(body) }
            #expect(
                error?.code == .invalidTokenResponse && error?.rule == rule && error?.field == field, "\(rule) \(field)"
            )
            #expect(error?.description.contains("acc-secret") == false)
        }
    }

    @Test("R20: malformed bodies are named")
    func malformed() {
        let missing = #expect(throws: ATProtoOAuthError.self) {
            try TokenResponse.parse(Self.ok(Self.body(accessToken: nil)))
        }
        #expect(missing?.code == .invalidTokenResponse && missing?.field == "access_token")
        let noType = #expect(throws: ATProtoOAuthError.self) {
            try TokenResponse.parse(Self.ok(Self.body(tokenType: nil)))
        }
        #expect(noType?.field == "token_type")
        let wrong = #expect(throws: ATProtoOAuthError.self) {
            try TokenResponse.parse(Self.ok(Data(#"{"access_token":1,"token_type":"DPoP"}"#.utf8)))
        }
        #expect(wrong?.field == "access_token")
        #expect(throws: ATProtoOAuthError.self) { try TokenResponse.parse(Self.ok(Data("not json".utf8))) }
    }

    @Test("OAuth error bodies become .oauthError with code and description")
    func oauthErrors() {
        let response = HTTPResponse(
            status: 400, body: Data(#"{"error":"invalid_grant","error_description":"Invalid refresh token"}"#.utf8))
        let error = #expect(throws: ATProtoOAuthError.self) { try TokenResponse.parse(response) }
        #expect(error?.code == .oauthError && error?.field == "invalid_grant")
        #expect(error?.reason.contains("Invalid refresh token") == true)
        #expect(
            OAuthErrorResponse.parse(response)
                == OAuthErrorResponse(error: "invalid_grant", errorDescription: "Invalid refresh token"))
        #expect(OAuthErrorResponse.parse(HTTPResponse(status: 400, body: Data(#"{"error":5}"#.utf8))) == nil)
        let bare = #expect(throws: ATProtoOAuthError.self) { try TokenResponse.parse(HTTPResponse(status: 502)) }
        #expect(bare?.code == .invalidTokenResponse && bare?.field == "status")
    }
}
