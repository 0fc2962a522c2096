import Foundation
import Testing

@testable import ATProtoOAuth

@Suite("Client metadata (R10–R13)")
struct ClientMetadataTests {
    func failing(_ metadata: ClientMetadata, _ url: String, _ response: HTTPResponse? = MetadataFixture.jsonOK) -> Set<
        String
    > {
        Set(metadata.checks(clientID: MetadataFixture.url(url), fetchedResponse: response).failures.map(\.name))
    }

    @Test("R10–R12: statusphere decodes; as a web app it fails only application_type for a native profile")
    func statusphere() throws {
        let metadata = try ClientMetadata.decode(try MetadataFixture.data("statusphere-client-metadata"))
        #expect(metadata.clientID == "https://statusphere.mozzius.dev/oauth-client-metadata.json")
        #expect(metadata.clientName == "Statusphere React App")
        #expect(metadata.applicationType == "web")
        #expect(failing(metadata, metadata.clientID) == ["application_type"])
        // Served from another URL, client_id no longer matches (R10).
        #expect(failing(metadata, "https://statusphere.mozzius.dev/other.json") == ["client_id", "application_type"])
    }

    @Test("R10–R12: smokesignal decodes; as a web app it fails only application_type for a native profile")
    func smokesignal() throws {
        let metadata = try ClientMetadata.decode(try MetadataFixture.data("smokesignal-client-metadata"))
        #expect(metadata.jwksURI == "https://smokesignal.events/oauth/jwks.json")
        #expect(metadata.logoURI == "https://smokesignal.events/static/logo-160x160x.png")
        #expect(metadata.tosURI == "https://docs.smokesignal.events/docs/about/terms/")
        #expect(metadata.policyURI == "https://docs.smokesignal.events/docs/about/privacy/")
        #expect(metadata.clientURI == "https://smokesignal.events")
        #expect(failing(metadata, metadata.clientID) == ["application_type"])
    }

    @Test("R10–R12: a hosted native client passes every check")
    func hostedNative() throws {
        let url = MetadataFixture.url("https://app.example.com/client-metadata.json")
        let metadata = ClientMetadata.hostedNative(
            clientID: url, redirectURIs: ["http://127.0.0.1/callback", "com.example.app:/callback"],
            scope: "atproto transition:generic", clientName: "Example", clientURI: "https://app.example.com")
        #expect(metadata.checks(clientID: url, fetchedResponse: MetadataFixture.jsonOK).failures.isEmpty)
        // The JSON is snake_case and round-trips.
        let json = String(decoding: try JSONEncoder().encode(metadata), as: UTF8.self)
        #expect(json.contains("\"dpop_bound_access_tokens\":true") && json.contains("\"redirect_uris\""))
        #expect(try ClientMetadata.decode(Data(json.utf8)) == metadata)
    }

    @Test("R10: client_id URL must be https without port; document 200 JSON without redirect")
    func hostedURLRules() throws {
        let native = { (id: String) in
            ClientMetadata.hostedNative(
                clientID: MetadataFixture.url(id), redirectURIs: ["http://127.0.0.1/"], scope: "atproto",
                clientName: nil,
                clientURI: nil)
        }
        #expect(failing(native("http://app.example.com/c.json"), "http://app.example.com/c.json") == ["client_id_url"])
        #expect(
            failing(native("https://app.example.com:8443/c.json"), "https://app.example.com:8443/c.json") == [
                "client_id_url"
            ])
        let redirect = HTTPResponse(status: 302, headers: [(name: "Content-Type", value: "application/json")])
        #expect(
            failing(native("https://app.example.com/c.json"), "https://app.example.com/c.json", redirect) == ["status"])
        let text = HTTPResponse(status: 200, headers: [(name: "Content-Type", value: "text/plain")])
        #expect(
            failing(native("https://app.example.com/c.json"), "https://app.example.com/c.json", text) == [
                "content_type"
            ])
    }

    @Test("R11: each required field is checked by name")
    func fieldRules() {
        let url = "https://app.example.com/c.json"
        func make(
            grants: [String]? = ["authorization_code", "refresh_token"], scope: String? = "atproto",
            responses: [String]? = ["code"], redirects: [String]? = ["http://127.0.0.1/"], dpop: Bool? = true,
            type: String? = "native", auth: String? = "none"
        ) -> ClientMetadata {
            ClientMetadata(
                clientID: url, applicationType: type, grantTypes: grants, scope: scope, responseTypes: responses,
                redirectURIs: redirects, dpopBoundAccessTokens: dpop, tokenEndpointAuthMethod: auth)
        }
        #expect(failing(make(), url).isEmpty)
        #expect(failing(make(grants: ["authorization_code"]), url) == ["grant_types"])
        #expect(failing(make(scope: "transition:generic"), url) == ["scope"])
        #expect(failing(make(scope: nil), url) == ["scope"])
        let wide = make(scope: "atproto transition:generic")
        let clientURL = MetadataFixture.url(url)
        #expect(
            wide.checks(clientID: clientURL, fetchedResponse: nil, requestedScope: "atproto transition:generic")
                .failures.isEmpty)
        let narrow = wide.checks(
            clientID: clientURL, fetchedResponse: nil, requestedScope: "atproto transition:chat.bsky")
        #expect(narrow.failures.map(\.name) == ["scope"])
        #expect(narrow.failures.first?.detail.contains("transition:chat.bsky") == true)
        #expect(failing(make(responses: ["token"]), url) == ["response_types"])
        #expect(failing(make(redirects: []), url) == ["redirect_uris"])
        #expect(failing(make(dpop: false), url) == ["dpop_bound_access_tokens"])
        #expect(failing(make(dpop: nil), url) == ["dpop_bound_access_tokens"])
        #expect(failing(make(type: nil), url) == ["application_type"])
        #expect(failing(make(auth: "private_key_jwt"), url) == ["token_endpoint_auth_method"])
        #expect(failing(make(redirects: ["http://localhost/callback"]), url) == ["redirect_uri_forms"])
        #expect(failing(make(redirects: ["http://example.com/callback"]), url) == ["redirect_uri_forms"])
        #expect(failing(make(redirects: ["myapp:/callback"]), url) == ["redirect_uri_forms"])
    }

    @Test("R13: development client ids, exact strings")
    func developmentClientIDs() {
        let defaults = ClientMetadata.defaultDevelopmentRedirectURIs
        #expect(defaults == ["http://127.0.0.1/", "http://[::1]/"])
        #expect(ClientMetadata.developmentClientID(redirectURIs: defaults, scope: "atproto") == "http://localhost")
        #expect(
            ClientMetadata.developmentClientID(redirectURIs: ["http://127.0.0.1:8080/callback"], scope: "atproto")
                == "http://localhost?redirect_uri=http%3A%2F%2F127.0.0.1%3A8080%2Fcallback")
        #expect(
            ClientMetadata.developmentClientID(redirectURIs: defaults, scope: "atproto transition:generic")
                == "http://localhost?scope=atproto%20transition%3Ageneric")
        #expect(
            ClientMetadata.developmentClientID(
                redirectURIs: ["http://127.0.0.1:8080/callback", "http://[::1]:8080/callback"],
                scope: "atproto transition:generic")
                == "http://localhost?redirect_uri=http%3A%2F%2F127.0.0.1%3A8080%2Fcallback"
                + "&redirect_uri=http%3A%2F%2F%5B%3A%3A1%5D%3A8080%2Fcallback&scope=atproto%20transition%3Ageneric")
    }

    @Test("R13: implied metadata of a development client")
    func impliedMetadata() throws {
        let metadata = ClientMetadata.localhostDevelopment(
            redirectURIs: ["http://127.0.0.1:8080/callback"], scope: "atproto transition:generic")
        #expect(
            metadata.clientID
                == "http://localhost?redirect_uri=http%3A%2F%2F127.0.0.1%3A8080%2Fcallback&scope=atproto%20transition%3Ageneric"
        )
        #expect(metadata.applicationType == "native")
        #expect(metadata.tokenEndpointAuthMethod == "none")
        #expect(metadata.grantTypes == ["authorization_code", "refresh_token"])
        #expect(metadata.responseTypes == ["code"])
        #expect(metadata.dpopBoundAccessTokens == true)
        #expect(metadata.scope == "atproto transition:generic")
        #expect(try ClientMetadata.parseDevelopmentClientID(metadata.clientID) == metadata)
    }

    @Test("R13: server-side parsing of development client ids")
    func parseDevelopment() throws {
        let bare = try ClientMetadata.parseDevelopmentClientID("http://localhost")
        #expect(bare.redirectURIs == ["http://127.0.0.1/", "http://[::1]/"])
        #expect(bare.scope == "atproto")
        #expect(bare.clientID == "http://localhost")
        // URLSearchParams-style `+` for spaces is accepted too.
        let plus = try ClientMetadata.parseDevelopmentClientID(
            "http://localhost?scope=atproto+transition:generic&redirect_uri=http://127.0.0.1:1234/cb")
        #expect(plus.scope == "atproto transition:generic")
        #expect(plus.redirectURIs == ["http://127.0.0.1:1234/cb"])
        for bad in [
            "http://localhost:8080", "http://localhost/", "http://localhost/path", "https://localhost",
            "http://localhost#x", "http://localhost?foo=bar", "http://localhost?scope=atproto&scope=atproto",
            "http://localhost?scope=transition%3Ageneric", "http://localhost?redirect_uri=http%3A%2F%2Flocalhost%2F",
            "http://localhost?redirect_uri=https%3A%2F%2Fexample.com%2F", "http://localhost.example.com",
            "http://127.0.0.1",
        ] {
            let error = #expect(throws: ATProtoOAuthError.self, "\(bad)") {
                try ClientMetadata.parseDevelopmentClientID(bad)
            }
            #expect(error?.rule == "R13" && error?.code == .invalidClientMetadata)
        }
    }

    @Test("R12: redirect URI matching; loopback IPs without port match any port, never localhost")
    func redirectMatching() {
        let metadata = ClientMetadata(
            clientID: "https://app.example.com/c.json", applicationType: "native", grantTypes: nil, scope: "atproto",
            responseTypes: nil,
            redirectURIs: [
                "http://127.0.0.1/callback", "http://[::1]/", "http://127.0.0.1:8080/fixed", "http://localhost/cb",
                "com.example.app:/oauth",
            ], dpopBoundAccessTokens: true, tokenEndpointAuthMethod: "none")
        #expect(metadata.allowsRedirectURI("http://127.0.0.1/callback"))
        #expect(metadata.allowsRedirectURI("http://127.0.0.1:54321/callback"))
        #expect(!metadata.allowsRedirectURI("http://127.0.0.1:54321/other"))
        #expect(!metadata.allowsRedirectURI("http://127.0.0.1:54321/callback?x=1"))
        #expect(metadata.allowsRedirectURI("http://[::1]:4000/"))
        #expect(!metadata.allowsRedirectURI("http://[::1]:4000/x"))
        #expect(metadata.allowsRedirectURI("http://127.0.0.1:8080/fixed"))
        #expect(!metadata.allowsRedirectURI("http://127.0.0.1:9090/fixed"))
        #expect(!metadata.allowsRedirectURI("http://localhost/cb"))
        #expect(!metadata.allowsRedirectURI("http://localhost:5555/cb"))
        #expect(!metadata.allowsRedirectURI("https://127.0.0.1:5555/callback"))
        #expect(metadata.allowsRedirectURI("com.example.app:/oauth"))
        #expect(!metadata.allowsRedirectURI("com.example.app:/other"))
        let development = ClientMetadata.localhostDevelopment(
            redirectURIs: ClientMetadata.defaultDevelopmentRedirectURIs, scope: "atproto")
        #expect(development.allowsRedirectURI("http://127.0.0.1:61234/"))
        #expect(development.allowsRedirectURI("http://[::1]:61234/"))
        #expect(!development.allowsRedirectURI("http://localhost:61234/"))
    }

    @Test("R11: decode errors name the field")
    func decodeErrors() {
        let error = #expect(throws: ATProtoOAuthError.self) {
            try ClientMetadata.decode(Data(#"{"client_id":"https://x","redirect_uris":"http://127.0.0.1/"}"#.utf8))
        }
        #expect(error?.field == "redirect_uris" && error?.code == .invalidClientMetadata)
        let missing = #expect(throws: ATProtoOAuthError.self) { try ClientMetadata.decode(Data("{}".utf8)) }
        #expect(missing?.field == "client_id")
    }
}
