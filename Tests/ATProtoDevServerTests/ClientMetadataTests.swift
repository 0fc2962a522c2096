import ATProtoDevServer
import ATProtoOAuth
import Foundation
import Testing

/// Hosted client ids (R10–R12): the server fetches the document and checks it.
@Suite("Dev authorization server: hosted client metadata")
struct ClientMetadataTests {
    static let clientID = "http://127.0.0.1:9/client-metadata.json"

    /// Serves one canned client-metadata response, the way the fetcher would receive it.
    struct CannedFetcher: HTTPTransport {
        let response: HTTPResponse
        func send(_ request: HTTPRequest) async throws -> HTTPResponse { response }
    }

    static func document(clientID: String = clientID, redirect: String = "http://127.0.0.1/callback") -> Data {
        let metadata = ClientMetadata.hostedNative(
            clientID: URL(string: clientID) ?? URL(fileURLWithPath: "/"), redirectURIs: [redirect],
            scope: "atproto transition:generic", clientName: "Hosted test client", clientURI: nil)
        return (try? JSONEncoder().encode(metadata)) ?? Data()
    }

    func par(_ response: HTTPResponse) async throws -> HTTPResponse {
        var result = HTTPResponse(status: 0)
        try await DevHarness.with(.init(clientMetadataFetcher: CannedFetcher(response: response))) { harness in
            var par = harness.parRequest()
            par.clientID = Self.clientID
            let key = DPoPKey.generate()
            let nonce = try await harness.asNonce(harness.entryway, key: key)
            result = try await harness.sendPAR(par, issuer: harness.entryway, key: key, nonce: nonce)
        }
        return result
    }

    @Test("R10–R12: a valid hosted document (loopback http in dev) is accepted")
    func valid() async throws {
        let response = try await par(
            HTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: Self.document()))
        #expect(response.status == 201)
    }

    @Test("R10: a document whose client_id differs from its URL → invalid_client_metadata")
    func clientIDMismatch() async throws {
        let response = try await par(
            HTTPResponse(
                status: 200, headers: [("Content-Type", "application/json")],
                body: Self.document(clientID: "http://127.0.0.1:9/other.json")))
        #expect(response.status == 400)
        #expect(OAuthErrorResponse.parse(response)?.error == "invalid_client_metadata")
    }

    @Test("R10: a redirected document fetch is refused")
    func redirected() async throws {
        let response = try await par(HTTPResponse(status: 302, headers: [("Location", "https://example.com/")]))
        #expect(response.status == 400)
        #expect(OAuthErrorResponse.parse(response)?.error == "invalid_client_metadata")
    }

    @Test("R12: a document registering a localhost redirect → invalid_client_metadata")
    func localhostRedirect() async throws {
        let response = try await par(
            HTTPResponse(
                status: 200, headers: [("Content-Type", "application/json")],
                body: Self.document(redirect: "http://localhost/callback")))
        #expect(response.status == 400)
        #expect(OAuthErrorResponse.parse(response)?.error == "invalid_client_metadata")
    }
}
