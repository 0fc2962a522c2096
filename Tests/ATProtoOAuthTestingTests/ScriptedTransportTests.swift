import ATProtoOAuthTesting
import Foundation
import Testing

/// The testing product's own promises: routing, recording, scripted errors, canned answers.
@Suite("ScriptedTransport")
struct ScriptedTransportTests {
    @Test("routes match URL and method, ignore the query unless given one, and the newest match wins")
    func routing() async throws {
        let transport = ScriptedTransport()
        transport.route("https://a.example.com/x", respond: HTTPResponse(status: 201))
        transport.route("https://a.example.com/x", method: "POST", respond: HTTPResponse(status: 202))
        transport.route("https://a.example.com/x?q=1", respond: HTTPResponse(status: 203))
        func status(_ method: String, _ url: String) async throws -> Int {
            try await transport.send(HTTPRequest(method: method, url: try #require(URL(string: url)))).status
        }
        #expect(try await status("GET", "https://a.example.com/x?other=2") == 201)
        #expect(try await status("POST", "https://a.example.com/x") == 202)
        #expect(try await status("GET", "https://a.example.com/x?q=1") == 203)
        #expect(try await status("GET", "https://a.example.com/y") == 404)

        transport.route("https://a.example.com/x", respond: HTTPResponse(status: 204))
        #expect(try await status("POST", "https://a.example.com/x") == 204)
        #expect(transport.requests.map(\.method) == ["GET", "POST", "GET", "GET", "POST"])
        #expect(transport.requests(to: "https://a.example.com/x", method: "POST").count == 2)
    }

    @Test("scripted errors are thrown like a transport failure, and the request is still recorded")
    func scriptedError() async throws {
        let transport = ScriptedTransport()
        transport.route("https://down.example.com/", throwing: ScriptedTransportError("connection refused"))
        let url = try #require(URL(string: "https://down.example.com/"))
        await #expect(throws: ScriptedTransportError("connection refused")) {
            _ = try await transport.send(HTTPRequest(method: "GET", url: url))
        }
        #expect(transport.requests.count == 1)
    }

    @Test("recorded requests keep headers and body; form fields and the DPoP proof decode")
    func recording() async throws {
        let transport = ScriptedTransport()
        let url = try #require(URL(string: "https://as.example.com/oauth/token"))
        let proof = try DPoPProof.make(
            key: .generate(), method: "POST", url: url, nonce: "n", accessToken: nil, now: Date())
        _ = try await transport.send(
            HTTPRequest(
                method: "POST", url: url, headers: [("DPoP", proof), ("X-Test", "1")],
                body: Data("grant_type=refresh_token&refresh_token=a%2Bb".utf8)))
        let request = try #require(transport.requests.first)
        #expect(request.header("x-test") == "1")
        #expect(request.formField("refresh_token") == "a+b")
        #expect(try request.dpopProof().nonce == "n")
    }

    @Test("R24: the scripted token endpoint accepts each refresh token once and refuses a replay with invalid_grant")
    func tokenEndpointRefusesReplay() async throws {
        let transport = ScriptedTransport()
        let url = try #require(URL(string: "https://as.example.com/oauth/token"))
        let endpoint = transport.routeTokenEndpoint(url, refreshTokens: ["r1": "did:plc:abc"])
        func refresh(_ token: String) async throws -> HTTPResponse {
            let proof = try DPoPProof.make(
                key: .generate(), method: "POST", url: url, nonce: nil, accessToken: nil, now: Date())
            return try await transport.send(
                TokenRequest.refresh(refreshToken: token, clientID: "http://localhost")
                    .httpRequest(endpoint: url, dpopProof: proof))
        }
        let first = try await refresh("r1")
        #expect(first.status == 200)
        let token = try TokenResponse.parse(first)
        #expect(token.refreshToken == "refresh-2")
        #expect(token.sub == "did:plc:abc")
        #expect(OAuthErrorResponse.parse(try await refresh("r1"))?.error == "invalid_grant")
        #expect(endpoint.replayCount == 1)
        #expect(try await refresh("refresh-2").status == 200)
        #expect(endpoint.presentedRefreshTokens == ["r1", "r1", "refresh-2"])
    }
}
