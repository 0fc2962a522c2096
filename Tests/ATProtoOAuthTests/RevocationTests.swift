import ATProtoOAuth
import Foundation
import Testing

/// The one revocation implementation (RFC 7009, R27): request choice and verdict, pure.
@Suite("Revocation (R27)")
struct RevocationTests {
    @Test("R27: the refresh token is revoked when there is one (it ends the grant), else the access token")
    func requestChoice() {
        let withRefresh = Revocation.request(accessToken: "acc", refreshToken: "ref", clientID: "c")
        #expect(withRefresh == RevocationRequest(token: "ref", tokenTypeHint: "refresh_token", clientID: "c"))
        let accessOnly = Revocation.request(accessToken: "acc", refreshToken: nil, clientID: "c")
        #expect(accessOnly == RevocationRequest(token: "acc", tokenTypeHint: "access_token", clientID: "c"))
    }

    @Test("R27: any 2xx is revoked; otherwise an R27 error naming status and OAuth code, never the token")
    func verdict() throws {
        try Revocation.check(HTTPResponse(status: 200))
        try Revocation.check(HTTPResponse(status: 204))
        let refused = #expect(throws: ATProtoOAuthError.self) {
            try Revocation.check(
                HTTPResponse(
                    status: 400, body: Data(#"{"error":"invalid_request","error_description":"tok-secret"}"#.utf8)))
        }
        #expect(refused?.rule == "R27" && refused?.reason.contains("400 invalid_request") == true)
        #expect(refused?.description.contains("tok-secret") == false)
    }

    @Test("R27: without a revocation endpoint nothing is sent and the reason says so")
    func noEndpoint() async throws {
        struct NoNetwork: HTTPTransport {
            func send(_ request: HTTPRequest) async throws -> HTTPResponse {
                Issue.record("nothing may be sent without an endpoint")
                return HTTPResponse(status: 500)
            }
        }
        var nonces: [String: String] = [:]
        let error = await #expect(throws: ATProtoOAuthError.self) {
            try await Revocation.send(
                endpoint: nil, accessToken: "a", refreshToken: "r", clientID: "c", key: .generate(), nonces: &nonces,
                transport: NoNetwork())
        }
        #expect(error?.field == "revocation_endpoint")
    }
}
