import ATProtoDevServer
import ATProtoDiscovery
import ATProtoHTTP
import ATProtoOAuth
import ATProtoOAuthClient
import ATProtoOAuthLogin
import Foundation
import Testing

/// R12 for a hosted client: `authorize` accepts only redirect URIs its document registers.
@Suite("OAuthClient.authorize: a hosted client's redirect URIs (R10–R12)", .serialized)
struct HostedClientRedirectTests {
    static let clientID = "http://127.0.0.1:9/client-metadata.json"

    /// Answers the client-metadata URL with `document`; passes everything else on.
    struct DocumentServing: HTTPTransport {
        let document: Data
        let base: (any HTTPTransport)?

        func send(_ request: HTTPRequest) async throws -> HTTPResponse {
            if request.url.absoluteString == HostedClientRedirectTests.clientID {
                return HTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: document)
            }
            guard let base else { throw URLError(.cannotConnectToHost) }
            return try await base.send(request)
        }
    }

    static func document(applicationType: String = "native", redirects: [String]) throws -> Data {
        try JSONEncoder().encode(
            ClientMetadata(
                clientID: clientID, applicationType: applicationType,
                grantTypes: ["authorization_code", "refresh_token"], scope: "atproto transition:generic",
                responseTypes: ["code"], redirectURIs: redirects, dpopBoundAccessTokens: true,
                tokenEndpointAuthMethod: "none", clientName: "Hosted test client"))
    }

    /// A client presenting the hosted document, on a dev network that fetches the same one.
    private func withClient(
        _ document: Data, _ body: (OAuthClient, DevNetwork) async throws -> Void
    ) async throws {
        let network = DevNetwork(
            configuration: DevNetworkConfiguration(
                clientMetadataFetcher: DocumentServing(document: document, base: nil)))
        let info = try await network.start()
        let transport = try HTTPClientTransport(
            configuration: .init(allowHTTPLoopback: true, connectTimeout: .seconds(60), timeout: .seconds(60)))
        let outcome: Result<Void, any Error>
        do {
            let client = OAuthClient(
                configuration: OAuthClientConfiguration(
                    client: .hosted(try #require(URL(string: Self.clientID))),
                    discovery: DiscoveryConfiguration(
                        plcDirectory: try #require(URL(string: info.plc)), allowHTTPLoopback: true)),
                transport: DocumentServing(document: document, base: transport),
                txtResolver: try ResolvTXTResolver(nameserver: info.dns, timeout: .seconds(2)),
                store: InMemorySessionStore(), identityCache: IdentityCache())
            outcome = .success(try await body(client, network))
        } catch {
            outcome = .failure(error)
        }
        try await transport.shutdown()
        await network.stop()
        try outcome.get()
    }

    @Test("R12: a loopback URI registered without port matches any port; the whole login completes")
    func portlessLoopbackMatchesAnyPort() async throws {
        try await withClient(try Self.document(redirects: ["http://127.0.0.1/callback"])) { client, network in
            let url = try await client.authorize("alice.test", redirectURI: "http://127.0.0.1:61234/callback")
            let query = try #require(URLComponents(url: url, resolvingAgainstBaseURL: false)?.queryItems)
            #expect(query.first { $0.name == "client_id" }?.value == Self.clientID)
            let requestURI = try #require(query.first { $0.name == "request_uri" }?.value)
            let redirect = try #require(await network.approve(requestURI: requestURI))
            let session = try await client.callback(url: redirect)
            #expect(session.clientID == Self.clientID)
            #expect(session.redirectURI == "http://127.0.0.1:61234/callback")
        }
    }

    @Test(
        "R12: a redirect URI the document does not register is refused before discovery",
        arguments: ["http://127.0.0.1:61234/other", "https://app.example/callback", "http://[::1]:61234/callback"])
    func unregisteredRedirectRefused(_ redirectURI: String) async throws {
        try await withClient(try Self.document(redirects: ["http://127.0.0.1/callback"])) { client, network in
            await network.clearRequestLog()
            let error = await #expect(throws: LoginError.self) {
                try await client.authorize("alice.test", redirectURI: redirectURI)
            }
            #expect(error?.code == .clientMetadata, "\(String(describing: error))")
            #expect(await network.requestLog().isEmpty)
        }
    }

    @Test("R12: a web client's registered https redirect passes the client check; its http one does not")
    func webClientNeedsHTTPS() async throws {
        let document = try Self.document(
            applicationType: "web", redirects: ["https://app.example/callback", "http://127.0.0.1/callback"])
        try await withClient(document) { client, _ in
            // The dev network itself only serves native clients, so the PAR is refused: what
            // matters is that the client's own R12 check let the request go.
            let accepted = await #expect(throws: LoginError.self) {
                try await client.authorize("alice.test", redirectURI: "https://app.example/callback")
            }
            #expect(accepted?.code == .par, "\(String(describing: accepted))")
            let refused = await #expect(throws: LoginError.self) {
                try await client.authorize("alice.test", redirectURI: "http://127.0.0.1:61234/callback")
            }
            #expect(refused?.code == .clientMetadata, "\(String(describing: refused))")
            #expect(refused?.reason.contains("must use https") == true, "\(String(describing: refused))")
        }
    }
}
