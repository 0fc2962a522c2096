import Foundation
import Testing

@testable import ATProtoOAuth

@Suite("Protected resource metadata (R8)")
struct ProtectedResourceMetadataTests {
    static let morelPDS = MetadataFixture.url("https://morel.us-east.host.bsky.network")

    func failing(_ metadata: ProtectedResourceMetadata, pds: URL, loopback: Bool = false) -> Set<String> {
        Set(metadata.checks(pds: pds, allowHTTPLoopback: loopback).failures.map(\.name))
    }

    @Test("R8: the morel (bsky-hosted PDS) document passes and names bsky.social")
    func morel() throws {
        let metadata = try ProtectedResourceMetadata.decode(try MetadataFixture.data("morel-protected-resource"))
        #expect(failing(metadata, pds: Self.morelPDS).isEmpty)
        #expect(failing(metadata, pds: MetadataFixture.url("https://morel.us-east.host.bsky.network/")).isEmpty)
        #expect(try metadata.authorizationServer().absoluteString == "https://bsky.social")
        #expect(metadata.bearerMethodsSupported == ["header"])
        #expect(metadata.scopesSupported == [])
        #expect(metadata.resourceDocumentation == "https://atproto.com")
    }

    @Test("R8: the indie PDS is its own authorization server")
    func indie() throws {
        let metadata = try ProtectedResourceMetadata.decode(try MetadataFixture.data("indie-protected-resource"))
        #expect(failing(metadata, pds: MetadataFixture.url("https://pds.robocracy.org")).isEmpty)
        #expect(try metadata.authorizationServer().absoluteString == "https://pds.robocracy.org")
    }

    @Test("R8: resource must equal the PDS origin")
    func resourceMismatch() throws {
        let metadata = try ProtectedResourceMetadata.decode(try MetadataFixture.data("morel-protected-resource"))
        #expect(failing(metadata, pds: MetadataFixture.url("https://pds.robocracy.org")) == ["resource"])
        let withPath = ProtectedResourceMetadata(
            resource: "https://morel.us-east.host.bsky.network/xrpc", authorizationServers: ["https://bsky.social"])
        #expect(failing(withPath, pds: Self.morelPDS) == ["resource"])
    }

    @Test("R8: zero authorization servers fail")
    func zeroServers() throws {
        for servers in [[], nil] as [[String]?] {
            let metadata = ProtectedResourceMetadata(
                resource: Self.morelPDS.absoluteString, authorizationServers: servers)
            #expect(failing(metadata, pds: Self.morelPDS) == ["authorization_servers", "authorization_server"])
            let error = #expect(throws: ATProtoOAuthError.self) { try metadata.authorizationServer() }
            #expect(error?.rule == "R8" && error?.field == "authorization_servers")
        }
    }

    @Test("R8: two authorization servers fail")
    func twoServers() {
        let metadata = ProtectedResourceMetadata(
            resource: Self.morelPDS.absoluteString,
            authorizationServers: ["https://bsky.social", "https://other.example"])
        #expect(failing(metadata, pds: Self.morelPDS) == ["authorization_servers"])
        #expect(throws: ATProtoOAuthError.self) { try metadata.authorizationServer() }
    }

    @Test(
        "R8: the authorization server must be a bare https origin",
        arguments: [
            "https://bsky.social/oauth", "https://bsky.social?x=1", "https://bsky.social#f",
            "https://user:pw@bsky.social",
            "http://bsky.social", "ftp://bsky.social", "not a url", "http://127.0.0.1:2583",
        ])
    func badServerURL(_ server: String) {
        let metadata = ProtectedResourceMetadata(resource: Self.morelPDS.absoluteString, authorizationServers: [server])
        #expect(failing(metadata, pds: Self.morelPDS) == ["authorization_server"])
        #expect(throws: ATProtoOAuthError.self) { try metadata.authorizationServer() }
    }

    @Test("R8/R29: http loopback is accepted only in development mode")
    func loopback() throws {
        let pds = MetadataFixture.url("http://127.0.0.1:2583")
        let metadata = ProtectedResourceMetadata(
            resource: "http://127.0.0.1:2583", authorizationServers: ["http://127.0.0.1:2584"])
        #expect(failing(metadata, pds: pds, loopback: true).isEmpty)
        #expect(failing(metadata, pds: pds, loopback: false) == ["authorization_server"])
        #expect(try metadata.authorizationServer(allowHTTPLoopback: true).absoluteString == "http://127.0.0.1:2584")
    }

    @Test("R8: a trailing slash on the authorization server is normalised away")
    func trailingSlash() throws {
        let metadata = ProtectedResourceMetadata(
            resource: Self.morelPDS.absoluteString, authorizationServers: ["https://bsky.social/"])
        #expect(failing(metadata, pds: Self.morelPDS).isEmpty)
        #expect(try metadata.authorizationServer().absoluteString == "https://bsky.social")
    }

    @Test("R8: the response must be exactly 200 JSON; a redirect is named")
    func responseChecks() {
        #expect(ProtectedResourceMetadata.responseChecks(MetadataFixture.jsonOK).failures.isEmpty)
        let redirect = HTTPResponse(status: 301, headers: [(name: "Location", value: "https://elsewhere.example/")])
        let failures = ProtectedResourceMetadata.responseChecks(redirect).failures
        #expect(Set(failures.map(\.name)) == ["status", "content_type"])
        #expect(failures.allSatisfy { $0.rule == "R8" })
        #expect(failures.first?.detail.contains("redirect to https://elsewhere.example/") == true)
        let notFound = HTTPResponse(status: 404, headers: [(name: "Content-Type", value: "application/json")])
        #expect(ProtectedResourceMetadata.responseChecks(notFound).failures.map(\.name) == ["status"])
    }

    @Test("R8: decode errors name the field")
    func decodeErrors() throws {
        let missing = #expect(throws: ATProtoOAuthError.self) {
            try ProtectedResourceMetadata.decode(Data(#"{"authorization_servers":["https://bsky.social"]}"#.utf8))
        }
        #expect(missing?.field == "resource" && missing?.rule == "R8")
        let wrongType = #expect(throws: ATProtoOAuthError.self) {
            try ProtectedResourceMetadata.decode(Data(#"{"resource":"https://x","authorization_servers":[1]}"#.utf8))
        }
        #expect(wrongType?.field == "authorization_servers[0]")
    }
}
