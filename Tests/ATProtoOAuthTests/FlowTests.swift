import Foundation
import Testing

@testable import ATProtoOAuth

@Suite("Authorization flow values (R14, R16, R18, R19, R23, R27)")
struct FlowTests {
    static let clientID = "http://localhost?scope=atproto%20transition%3Ageneric"

    @Test("Form encoding: strict unreserved set on the way out, + and %20 on the way in")
    func formEncoding() {
        #expect(FormEncoding.encode([("a b", "c&d=e"), ("ü", "~-._*'")]) == "a%20b=c%26d%3De&%C3%BC=~-._%2A%27")
        let decoded = FormEncoding.decode("a+b=c%20d&&flag&x=%zz&y=%E2%82%AC&=v")
        #expect(decoded.map(\.0) == ["a b", "flag", "x", "y", ""])
        #expect(decoded.map(\.1) == ["c d", "", "%zz", "€", "v"])
        #expect(FormEncoding.decodeComponent("%") == "%" && FormEncoding.decodeComponent("%4") == "%4")
    }

    @Test("R14: PAR body has exactly the profile's items, in order")
    func parBody() throws {
        let request = PushedAuthorizationRequest(
            clientID: Self.clientID, redirectURI: "http://127.0.0.1:8080/callback", scope: "atproto transition:generic",
            state: "st4te", codeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", loginHint: "alice.bsky.social"
        )
        #expect(
            request.formItems.map(\.0) == [
                "client_id", "response_type", "code_challenge", "code_challenge_method", "state", "redirect_uri",
                "scope",
                "login_hint",
            ])
        #expect(
            request.formItems.map(\.1) == [
                Self.clientID, "code", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "S256", "st4te",
                "http://127.0.0.1:8080/callback", "atproto transition:generic", "alice.bsky.social",
            ])
        let http = request.httpRequest(
            endpoint: MetadataFixture.url("https://bsky.social/oauth/par"), dpopProof: "proof.jwt")
        #expect(http.method == "POST")
        #expect(http.url.absoluteString == "https://bsky.social/oauth/par")
        #expect(http.header("content-type") == "application/x-www-form-urlencoded")
        #expect(http.header("DPoP") == "proof.jwt")
        let body = String(decoding: try #require(http.body), as: UTF8.self)
        #expect(
            body == "client_id=http%3A%2F%2Flocalhost%3Fscope%3Datproto%2520transition%253Ageneric&response_type=code"
                + "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256&state=st4te"
                + "&redirect_uri=http%3A%2F%2F127.0.0.1%3A8080%2Fcallback&scope=atproto%20transition%3Ageneric"
                + "&login_hint=alice.bsky.social")
        var noHint = request
        noHint.loginHint = nil
        #expect(noHint.formItems.count == 7)
    }

    @Test("R14: PAR response 201/200 parsed; OAuth errors surface with code and description")
    func parResponse() throws {
        let ok = HTTPResponse(
            status: 201, body: Data(#"{"request_uri":"urn:ietf:params:oauth:request_uri:req-1","expires_in":299}"#.utf8)
        )
        let parsed = try PushedAuthorizationResponse.parse(ok)
        #expect(parsed.requestURI == "urn:ietf:params:oauth:request_uri:req-1" && parsed.expiresIn == 299)
        #expect(try PushedAuthorizationResponse.parse(HTTPResponse(status: 200, body: ok.body)).expiresIn == 299)
        let bad = HTTPResponse(
            status: 400, body: Data(#"{"error":"invalid_request","error_description":"Invalid scope"}"#.utf8))
        let error = #expect(throws: ATProtoOAuthError.self) { try PushedAuthorizationResponse.parse(bad) }
        #expect(
            error?.code == .oauthError && error?.field == "invalid_request"
                && error?.reason.contains("Invalid scope") == true)
        let missing = #expect(throws: ATProtoOAuthError.self) {
            try PushedAuthorizationResponse.parse(HTTPResponse(status: 201, body: Data(#"{"expires_in":1}"#.utf8)))
        }
        #expect(missing?.field == "request_uri")
        #expect(throws: ATProtoOAuthError.self) { try PushedAuthorizationResponse.parse(HTTPResponse(status: 500)) }
    }

    @Test("R14: the authorization URL carries only client_id and request_uri")
    func authorizationURL() {
        let url = AuthorizationURL.make(
            endpoint: MetadataFixture.url("https://bsky.social/oauth/authorize"), clientID: Self.clientID,
            requestURI: "urn:ietf:params:oauth:request_uri:req-abc")
        #expect(
            url.absoluteString
                == "https://bsky.social/oauth/authorize?client_id=http%3A%2F%2Flocalhost%3Fscope%3Datproto%2520transition%253Ageneric"
                + "&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Areq-abc")
        let withQuery = AuthorizationURL.make(
            endpoint: MetadataFixture.url("https://as.example/authorize?tenant=1"),
            clientID: "https://c.example/m.json",
            requestURI: "urn:x")
        #expect(
            withQuery.absoluteString
                == "https://as.example/authorize?tenant=1&client_id=https%3A%2F%2Fc.example%2Fm.json&request_uri=urn%3Ax"
        )
    }

    @Test("R16: the local request state is never printed with its secrets; state is random")
    func requestState() throws {
        let key = DPoPKey.generate()
        let state = AuthorizationRequestState(
            state: AuthorizationRequestState.randomState(), issuer: "https://bsky.social",
            pkceVerifier: "verifier-secret-value",
            dpopKey: key.privateJWK, expectedDID: try DID("did:plc:ewvi7nxzyoun6zhxrhs64oiz"),
            redirectURI: "http://127.0.0.1/", clientID: "http://localhost", scope: "atproto",
            createdAt: Date(timeIntervalSince1970: 0))
        let text = "\(state)"
        #expect(!text.contains("verifier-secret-value"))
        #expect(!text.contains(try #require(key.privateJWK.d)))
        #expect(!text.contains(state.state))
        #expect(state.state.count == 43)
        #expect(AuthorizationRequestState.randomState() != AuthorizationRequestState.randomState())
        let decoded = try JSONDecoder().decode(AuthorizationRequestState.self, from: try JSONEncoder().encode(state))
        #expect(
            decoded.pkceVerifier == state.pkceVerifier && decoded.dpopKey == state.dpopKey
                && decoded.expectedDID == state.expectedDID)
    }

    // MARK: callback (R18)

    static let good: [(String, String)] = [("iss", "https://bsky.social"), ("state", "s1"), ("code", "cod-123")]

    func validate(_ query: [(String, String)]) throws -> String {
        try AuthorizationCallback(query: query).validate(expectedState: "s1", expectedIssuer: "https://bsky.social")
    }

    func callbackError(_ query: [(String, String)]) -> ATProtoOAuthError? {
        #expect(throws: ATProtoOAuthError.self) { try validate(query) }
    }

    @Test("R18: a good callback yields the code")
    func callbackOK() throws {
        #expect(try validate(Self.good) == "cod-123")
        let parsed = AuthorizationCallback(queryString: "state=s1&iss=https%3A%2F%2Fbsky.social&code=cod-123")
        #expect(try parsed.validate(expectedState: "s1", expectedIssuer: "https://bsky.social") == "cod-123")
    }

    @Test("R18: each callback failure is named")
    func callbackFailures() {
        let cases: [([(String, String)], ATProtoOAuthError.Code, String)] = [
            (Self.good.filter { $0.0 != "state" }, .invalidCallback, "state"),
            (Self.good.map { $0.0 == "state" ? ("state", "other") : $0 }, .invalidCallback, "state"),
            (Self.good.filter { $0.0 != "iss" }, .invalidCallback, "iss"),
            (Self.good.map { $0.0 == "iss" ? ("iss", "https://evil.example") : $0 }, .invalidCallback, "iss"),
            (Self.good.filter { $0.0 != "code" }, .invalidCallback, "code"),
            (Self.good + [("code", "second")], .invalidCallback, "code"),
            (
                [
                    ("state", "s1"), ("iss", "https://bsky.social"), ("error", "access_denied"),
                    ("error_description", "User declined"),
                ], .authorizationDenied, "error"
            ),
            (
                [
                    ("state", "s1"), ("iss", "https://bsky.social"), ("error", "server_error"),
                    ("error_description", "boom"),
                ], .oauthError, "server_error"
            ),
            ([("state", "forged"), ("error", "access_denied")], .invalidCallback, "state"),
        ]
        for (query, code, field) in cases {
            let error = callbackError(query)
            #expect(error?.code == code && error?.field == field && error?.rule == "R18", "\(query)")
            #expect(error?.description.contains("cod-123") == false)
        }
        #expect(callbackError(cases[6].0)?.reason.contains("User declined") == true)
        #expect(callbackError(cases[7].0)?.reason.contains("boom") == true)
    }

    // MARK: token and revocation requests (R19, R24, R27)

    @Test("R19: authorization-code token body")
    func tokenBody() throws {
        let request = TokenRequest.authorizationCode(
            code: "cod-123", codeVerifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
            redirectURI: "http://127.0.0.1:8080/callback",
            clientID: "http://localhost")
        let http = request.httpRequest(endpoint: MetadataFixture.url("https://bsky.social/oauth/token"), dpopProof: "p")
        #expect(
            String(decoding: try #require(http.body), as: UTF8.self)
                == "grant_type=authorization_code&code=cod-123&code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
                + "&redirect_uri=http%3A%2F%2F127.0.0.1%3A8080%2Fcallback&client_id=http%3A%2F%2Flocalhost")
        #expect(http.method == "POST" && http.header("DPoP") == "p")
    }

    @Test("R24: refresh token body")
    func refreshBody() {
        let request = TokenRequest.refresh(refreshToken: "ref-1", clientID: "https://c.example/m.json")
        #expect(
            FormEncoding.encode(request.formItems)
                == "grant_type=refresh_token&refresh_token=ref-1&client_id=https%3A%2F%2Fc.example%2Fm.json")
    }

    @Test("R27: revocation body (RFC 7009)")
    func revocationBody() throws {
        let request = RevocationRequest(token: "ref-1", clientID: "http://localhost")
        #expect(
            FormEncoding.encode(request.formItems)
                == "token=ref-1&token_type_hint=refresh_token&client_id=http%3A%2F%2Flocalhost")
        let http = request.httpRequest(
            endpoint: MetadataFixture.url("https://bsky.social/oauth/revoke"), dpopProof: "p")
        #expect(http.url.absoluteString == "https://bsky.social/oauth/revoke" && http.header("DPoP") == "p")
        let noHint = RevocationRequest(token: "acc", tokenTypeHint: nil, clientID: "c")
        #expect(FormEncoding.encode(noHint.formItems) == "token=acc&client_id=c")
    }

    // MARK: nonces (R23)

    @Test("R23: nonce from the DPoP-Nonce header, case-insensitive")
    func nonceHeader() {
        #expect(
            DPoPNonce.fromResponse(HTTPResponse(status: 200, headers: [(name: "dpop-nonce", value: " n-1 ")])) == "n-1")
        #expect(DPoPNonce.fromResponse(HTTPResponse(status: 200, headers: [(name: "DPoP-Nonce", value: "")])) == nil)
        #expect(DPoPNonce.fromResponse(HTTPResponse(status: 200)) == nil)
    }

    @Test("R23: authorization server asks with 400 use_dpop_nonce")
    func asChallenge() {
        let body = Data(
            #"{"error":"use_dpop_nonce","error_description":"Authorization server requires nonce in DPoP proof"}"#.utf8)
        #expect(DPoPNonce.isAuthorizationServerChallenge(HTTPResponse(status: 400, body: body)))
        #expect(!DPoPNonce.isAuthorizationServerChallenge(HTTPResponse(status: 401, body: body)))
        #expect(
            !DPoPNonce.isAuthorizationServerChallenge(
                HTTPResponse(status: 400, body: Data(#"{"error":"invalid_grant"}"#.utf8))))
        #expect(!DPoPNonce.isAuthorizationServerChallenge(HTTPResponse(status: 400, body: Data("use_dpop_nonce".utf8))))
    }

    @Test("R23/R25: resource server asks with 401 WWW-Authenticate DPoP error=...")
    func rsChallenge() {
        func response(_ status: Int, _ values: [String]) -> HTTPResponse {
            HTTPResponse(status: status, headers: values.map { (name: "WWW-Authenticate", value: $0) })
        }
        let nonce =
            #"DPoP algs="RS256 ES256", error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof""#
        #expect(DPoPNonce.isResourceServerChallenge(response(401, [nonce])))
        #expect(!DPoPNonce.isResourceServerChallenge(response(400, [nonce])))
        #expect(
            DPoPNonce.isResourceServerChallenge(
                response(401, [#"Bearer realm="pds", error="invalid_token", DPoP error="use_dpop_nonce""#])))
        #expect(
            DPoPNonce.isResourceServerChallenge(response(401, [#"Bearer realm="x""#, #"dpop error=use_dpop_nonce"#])))
        #expect(!DPoPNonce.isResourceServerChallenge(response(401, [#"Bearer error="use_dpop_nonce""#])))
        #expect(!DPoPNonce.isResourceServerChallenge(response(401, [])))
        let invalid = response(
            401, [#"DPoP algs="ES256", error="invalid_token", error_description="\"exp\" claim failed""#])
        #expect(DPoPNonce.resourceServerError(invalid) == "invalid_token")
        #expect(!DPoPNonce.isResourceServerChallenge(invalid))
        #expect(DPoPNonce.resourceServerError(response(401, ["Basic abc==, DPoP error=\"x\""])) == "x")
        #expect(DPoPNonce.resourceServerError(response(401, ["DPoP"])) == nil)
        let challenges = WWWAuthenticate.parse(
            #"Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple""#)
        #expect(challenges.map(\.scheme) == ["Newauth", "Basic"])
        #expect(challenges.first?.parameters["title"] == #"Login to "apps""#)
    }
}
