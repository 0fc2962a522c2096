import ATProtoDevServer
import ATProtoOAuth
import Foundation
import Testing

/// The authorization endpoint and its consent page (R14, R18).
@Suite("Dev authorization server: authorize")
struct AuthorizeTests {
    @Test("R14: an unknown request_uri is a 400 error page")
    func unknownRequestURI() async throws {
        try await DevHarness.with(.init(autoApprove: true)) { harness in
            let url = harness.authorizeURL(
                issuer: harness.entryway, requestURI: "urn:ietf:params:oauth:request_uri:req-unknown")
            let response = try await RawHTTP.send("GET", url)
            #expect(response.status == 400)
            #expect(response.headers["content-type"]?.hasPrefix("text/html") == true)
            #expect(response.location == nil)
        }
    }

    @Test("R14: an expired request_uri is a 400 error page")
    func expiredRequestURI() async throws {
        let clock = DevClock.manual()
        try await DevHarness.with(.init(autoApprove: true, requestURILifetime: .seconds(10), clock: clock)) {
            harness in
            let (requestURI, _) = try await harness.pushed(
                harness.parRequest(), issuer: harness.entryway, key: .generate())
            clock.advance(by: .seconds(11))
            let response = try await RawHTTP.send(
                "GET", harness.authorizeURL(issuer: harness.entryway, requestURI: requestURI))
            #expect(response.status == 400)
            #expect(response.body.contains("expired"))
        }
    }

    @Test("R18: auto-approve redirects with code, state and iss; the request_uri is single-use")
    func autoApprove() async throws {
        try await DevHarness.with(.init(autoApprove: true)) { harness in
            let par = harness.parRequest()
            let (requestURI, _) = try await harness.pushed(par, issuer: harness.entryway, key: .generate())
            let url = harness.authorizeURL(issuer: harness.entryway, requestURI: requestURI)
            let response = try await RawHTTP.send("GET", url)
            #expect(response.status == 302)
            #expect(response.location?.hasPrefix(DevHarness.redirectURI + "?") == true)
            let query = response.locationQuery
            #expect(query["code"]?.isEmpty == false)
            #expect(query["state"] == par.state)
            #expect(query["iss"] == harness.info.entryway)
            let callback = AuthorizationCallback(
                queryString: try #require(URLComponents(string: response.location ?? "")?.percentEncodedQuery))
            #expect(
                try callback.validate(expectedState: par.state, expectedIssuer: harness.info.entryway) == query["code"])
            let again = try await RawHTTP.send("GET", url)
            #expect(again.status == 400)
        }
    }

    @Test("Consent page shows client, account and scope; Deny gives access_denied with state and iss")
    func consentDeny() async throws {
        try await DevHarness.with { harness in
            let par = harness.parRequest(loginHint: "bob.test")
            let (requestURI, _) = try await harness.pushed(par, issuer: harness.entryway, key: .generate())
            let page = try await RawHTTP.send(
                "GET", harness.authorizeURL(issuer: harness.entryway, requestURI: requestURI))
            #expect(page.status == 200)
            #expect(page.body.contains("Approve") && page.body.contains("Deny"))
            #expect(page.body.contains("transition:generic"))
            #expect(page.body.contains("bob.test\" selected") || page.body.contains("selected>bob.test"))
            let form = FormEncoding.encode([
                ("request_uri", requestURI), ("client_id", DevHarness.clientID), ("decision", "deny"),
            ])
            let denied = try await RawHTTP.send(
                "POST", harness.url(harness.entryway, "/oauth/authorize/decision"),
                headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Data(form.utf8))
            #expect(denied.status == 302)
            #expect(denied.locationQuery["error"] == "access_denied")
            #expect(denied.locationQuery["state"] == par.state)
            #expect(denied.locationQuery["iss"] == harness.info.entryway)
            #expect(denied.locationQuery["code"] == nil)
        }
    }

    @Test("Consent page Approve for the chosen account gives a code whose token names that DID")
    func consentApprove() async throws {
        try await DevHarness.with { harness in
            let key = DPoPKey.generate()
            let pkce = PKCE()
            let par = harness.parRequest(pkce: pkce)
            let (requestURI, nonce) = try await harness.pushed(par, issuer: harness.entryway, key: key)
            let form = FormEncoding.encode([
                ("request_uri", requestURI), ("client_id", DevHarness.clientID), ("decision", "approve"),
                ("account", "did:plc:bobtestdevaccount2222222"),
            ])
            let approved = try await RawHTTP.send(
                "POST", harness.url(harness.entryway, "/oauth/authorize/decision"),
                headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Data(form.utf8))
            let code = try #require(approved.locationQuery["code"])
            let response = try await harness.sendToken(
                .authorizationCode(
                    code: code, codeVerifier: pkce.verifier, redirectURI: par.redirectURI, clientID: DevHarness.clientID
                ),
                issuer: harness.entryway, key: key, nonce: nonce)
            #expect(try TokenResponse.parse(response).sub == "did:plc:bobtestdevaccount2222222")
        }
    }

    @Test("approve(requestURI:) decides without a browser; the request is then used up")
    func programmaticApprove() async throws {
        try await DevHarness.with { harness in
            let par = harness.parRequest()
            let (requestURI, _) = try await harness.pushed(par, issuer: harness.selfHostedPDS, key: .generate())
            let location = try #require(await harness.network.approve(requestURI: requestURI))
            let query = URLComponents(url: location, resolvingAgainstBaseURL: false)?.queryItems ?? []
            #expect(query.first { $0.name == "code" }?.value?.isEmpty == false)
            #expect(query.first { $0.name == "iss" }?.value == harness.info.pds[1])
            #expect(query.first { $0.name == "state" }?.value == par.state)
            #expect(await harness.network.approve(requestURI: requestURI) == nil)
            #expect(await harness.network.deny(requestURI: "urn:ietf:params:oauth:request_uri:req-none") == nil)
        }
    }
}
