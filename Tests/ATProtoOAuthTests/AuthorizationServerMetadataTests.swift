import Foundation
import Testing

@testable import ATProtoOAuth

/// Loads the metadata fixtures (MIT, bluesky-social/indigo testdata).
enum MetadataFixture {
    static func data(_ name: String) throws -> Data {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures"))
        return try Data(contentsOf: url)
    }

    static func object(_ name: String) throws -> [String: JSONValue] {
        try #require(JSONValue.parse(try data(name), source: name).objectValue)
    }

    static func encode(_ object: [String: JSONValue]) throws -> Data {
        try JSONEncoder().encode(JSONValue.object(object))
    }

    /// A URL from a literal known to parse (no force unwrap in tests either).
    static func url(_ string: String) -> URL {
        URL(string: string) ?? URL(fileURLWithPath: "/invalid-test-url")
    }

    static let jsonOK = HTTPResponse(status: 200, headers: [(name: "Content-Type", value: "application/json")])
}

/// One mutation of the bsky entryway document and the one R9 check it must fail.
struct ASMutation: Sendable, CustomTestStringConvertible {
    let key: String
    /// `nil` removes the key.
    let value: JSONValue?
    let failing: String
    var testDescription: String {
        let shown = value.map { String(decoding: (try? JSONEncoder().encode($0)) ?? Data(), as: UTF8.self) }
        return "\(key) → \(shown ?? "removed") fails \(failing)"
    }
}

@Suite("Authorization server metadata (R9)")
struct AuthorizationServerMetadataTests {
    static let bsky = MetadataFixture.url("https://bsky.social")

    static let mutations: [ASMutation] = [
        ASMutation(key: "issuer", value: .string("https://evil.example"), failing: "issuer"),
        ASMutation(key: "issuer", value: .string("https://bsky.social/"), failing: "issuer"),
        ASMutation(
            key: "authorization_endpoint", value: .string("http://bsky.social/oauth/authorize"),
            failing: "authorization_endpoint"),
        ASMutation(key: "token_endpoint", value: .string("not a url"), failing: "token_endpoint"),
        ASMutation(key: "response_types_supported", value: nil, failing: "response_types_supported"),
        ASMutation(
            key: "response_types_supported", value: .array([.string("token")]), failing: "response_types_supported"),
        ASMutation(
            key: "grant_types_supported", value: .array([.string("authorization_code")]),
            failing: "grant_types_supported"),
        ASMutation(
            key: "code_challenge_methods_supported", value: .array([.string("plain")]),
            failing: "code_challenge_methods_supported"),
        ASMutation(
            key: "token_endpoint_auth_methods_supported", value: .array([.string("none")]),
            failing: "token_endpoint_auth_methods_supported"),
        ASMutation(
            key: "token_endpoint_auth_signing_alg_values_supported",
            value: .array([.string("ES256"), .string("none")]),
            failing: "token_endpoint_auth_signing_alg_values_supported"),
        ASMutation(
            key: "token_endpoint_auth_signing_alg_values_supported", value: .array([.string("RS256")]),
            failing: "token_endpoint_auth_signing_alg_values_supported"),
        ASMutation(
            key: "scopes_supported", value: .array([.string("transition:generic")]), failing: "scopes_supported"),
        ASMutation(key: "scopes_supported", value: nil, failing: "scopes_supported"),
        ASMutation(
            key: "authorization_response_iss_parameter_supported", value: .bool(false),
            failing: "authorization_response_iss_parameter_supported"),
        ASMutation(
            key: "authorization_response_iss_parameter_supported", value: nil,
            failing: "authorization_response_iss_parameter_supported"),
        ASMutation(
            key: "require_pushed_authorization_requests", value: .bool(false),
            failing: "require_pushed_authorization_requests"),
        ASMutation(
            key: "require_pushed_authorization_requests", value: nil, failing: "require_pushed_authorization_requests"),
        ASMutation(
            key: "pushed_authorization_request_endpoint", value: nil, failing: "pushed_authorization_request_endpoint"),
        ASMutation(
            key: "pushed_authorization_request_endpoint", value: .string("http://bsky.social/oauth/par"),
            failing: "pushed_authorization_request_endpoint"),
        ASMutation(
            key: "dpop_signing_alg_values_supported", value: .array([.string("RS256")]),
            failing: "dpop_signing_alg_values_supported"),
        ASMutation(
            key: "require_request_uri_registration", value: .bool(false), failing: "require_request_uri_registration"),
        ASMutation(
            key: "client_id_metadata_document_supported", value: nil, failing: "client_id_metadata_document_supported"),
        ASMutation(
            key: "client_id_metadata_document_supported", value: .bool(false),
            failing: "client_id_metadata_document_supported"),
    ]

    @Test("R9: the bsky entryway document passes every check")
    func bskyPasses() throws {
        let metadata = try AuthorizationServerMetadata.decode(
            try MetadataFixture.data("bsky-entryway-authorization-server"))
        let checks = metadata.checks(issuer: Self.bsky, allowHTTPLoopback: false)
        #expect(checks.failures.isEmpty, "\(checks.failures)")
        #expect(Set(checks.map(\.name)).count == checks.count)
        #expect(checks.count == 15)
        #expect(checks.allSatisfy { $0.rule == "R9" })
        try checks.requireAllPass(field: "authorization server metadata")
        #expect(metadata.pushedAuthorizationRequestEndpoint == "https://bsky.social/oauth/par")
        #expect(metadata.revocationEndpoint == "https://bsky.social/oauth/revoke")
        #expect(try metadata.endpointURL("token_endpoint").absoluteString == "https://bsky.social/oauth/token")
    }

    @Test("R9: the indie PDS document passes every check for its own origin")
    func indiePasses() throws {
        let metadata = try AuthorizationServerMetadata.decode(try MetadataFixture.data("indie-authorization-server"))
        #expect(
            metadata.checks(issuer: MetadataFixture.url("https://pds.robocracy.org"), allowHTTPLoopback: false).failures
                .isEmpty)
        let wrong = metadata.checks(issuer: Self.bsky, allowHTTPLoopback: false).failures
        #expect(wrong.map(\.name) == ["issuer"])
    }

    @Test("R9: each mutated document fails exactly its one named check", arguments: mutations)
    func mutationFailsExactlyOne(_ mutation: ASMutation) throws {
        var object = try MetadataFixture.object("bsky-entryway-authorization-server")
        object[mutation.key] = mutation.value
        let metadata = try AuthorizationServerMetadata.decode(try MetadataFixture.encode(object))
        let failures = metadata.checks(issuer: Self.bsky, allowHTTPLoopback: false).failures
        #expect(Set(failures.map(\.name)) == [mutation.failing])
        #expect(failures.allSatisfy { $0.rule == "R9" && !$0.detail.isEmpty })
        #expect(throws: ATProtoOAuthError.self) { try failures.requireAllPass(field: "authorization server metadata") }
        do {
            try failures.requireAllPass(field: "AS")
        } catch let error as ATProtoOAuthError {
            #expect(error.code == .invalidMetadata && error.rule == "R9" && error.field == mutation.failing)
        }
    }

    @Test("R29: protected_resources absent means nothing to check; present, it must list the PDS resource")
    func protectedResources() throws {
        var object = try MetadataFixture.object("bsky-entryway-authorization-server")
        let absent = try AuthorizationServerMetadata.decode(try MetadataFixture.encode(object))
        #expect(absent.protectedResourcesCheck(resource: "https://pds.example.com") == nil)

        object["protected_resources"] = .array([.string("https://a.example.com"), .string("https://pds.example.com")])
        let listed = try AuthorizationServerMetadata.decode(try MetadataFixture.encode(object))
        #expect(listed.protectedResources == ["https://a.example.com", "https://pds.example.com"])
        let pass = try #require(listed.protectedResourcesCheck(resource: "https://pds.example.com"))
        #expect(pass.ok && pass.rule == "R29" && pass.name == "protected_resources")
        let fail = try #require(listed.protectedResourcesCheck(resource: "https://other.example.com"))
        #expect(!fail.ok && fail.rule == "R29" && fail.name == "protected_resources")
        #expect(fail.detail.contains("https://other.example.com"))
        // The R9 checks are unaffected: this is a check against the PDS, made in discovery.
        #expect(listed.checks(issuer: Self.bsky, allowHTTPLoopback: false).failures.isEmpty)

        object["protected_resources"] = .array([])
        let empty = try AuthorizationServerMetadata.decode(try MetadataFixture.encode(object))
        #expect(empty.protectedResourcesCheck(resource: "https://pds.example.com")?.ok == false)
    }

    @Test(
        "R29: protected_resources compare origins tolerantly (trailing slash, case, default port)",
        arguments: [
            ("https://pds.example.com/", "https://pds.example.com"),
            ("https://pds.example.com", "https://pds.example.com/"),
            ("https://PDS.Example.com", "https://pds.example.com"),
            ("https://pds.example.com:443", "https://pds.example.com"),
        ])
    func protectedResourcesTolerant(_ listed: String, _ resource: String) throws {
        var object = try MetadataFixture.object("bsky-entryway-authorization-server")
        object["protected_resources"] = .array([.string(listed)])
        let metadata = try AuthorizationServerMetadata.decode(try MetadataFixture.encode(object))
        #expect(metadata.protectedResourcesCheck(resource: resource)?.ok == true)
        #expect(metadata.protectedResourcesCheck(resource: "https://pds.example.org")?.ok == false)
    }

    @Test("R29: protected_resources of the wrong type is a decode error naming the field")
    func protectedResourcesWrongType() throws {
        var object = try MetadataFixture.object("bsky-entryway-authorization-server")
        object["protected_resources"] = .string("https://pds.example.com")
        let error = #expect(throws: ATProtoOAuthError.self) {
            try AuthorizationServerMetadata.decode(try MetadataFixture.encode(object))
        }
        #expect(error?.field == "protected_resources")
    }

    @Test("R9: require_request_uri_registration may be absent")
    func requestURIRegistrationAbsent() throws {
        var object = try MetadataFixture.object("bsky-entryway-authorization-server")
        object["require_request_uri_registration"] = nil
        let metadata = try AuthorizationServerMetadata.decode(try MetadataFixture.encode(object))
        #expect(metadata.checks(issuer: Self.bsky, allowHTTPLoopback: false).failures.isEmpty)
    }

    @Test("R9/R29: http loopback issuer passes only in development mode")
    func loopbackIssuer() throws {
        let origin = "http://127.0.0.1:2583"
        var object = try MetadataFixture.object("bsky-entryway-authorization-server")
        for key in ["authorization_endpoint", "token_endpoint", "pushed_authorization_request_endpoint"] {
            object[key] = .string(origin + "/oauth/x")
        }
        object["issuer"] = .string(origin)
        let metadata = try AuthorizationServerMetadata.decode(try MetadataFixture.encode(object))
        let issuer = MetadataFixture.url(origin)
        #expect(metadata.checks(issuer: issuer, allowHTTPLoopback: true).failures.isEmpty)
        #expect(
            Set(metadata.checks(issuer: issuer, allowHTTPLoopback: false).failures.map(\.name)) == [
                "issuer", "authorization_endpoint", "token_endpoint", "pushed_authorization_request_endpoint",
            ])
    }

    @Test("R9: decode errors name the field")
    func decodeErrors() throws {
        var object = try MetadataFixture.object("bsky-entryway-authorization-server")
        object["token_endpoint"] = nil
        let missing = #expect(throws: ATProtoOAuthError.self) {
            try AuthorizationServerMetadata.decode(try MetadataFixture.encode(object))
        }
        #expect(missing?.field == "token_endpoint" && missing?.rule == "R9" && missing?.code == .invalidMetadata)
        object["token_endpoint"] = .string("https://bsky.social/oauth/token")
        object["scopes_supported"] = .string("atproto")
        let wrongType = #expect(throws: ATProtoOAuthError.self) {
            try AuthorizationServerMetadata.decode(try MetadataFixture.encode(object))
        }
        #expect(wrongType?.field == "scopes_supported")
        let notJSON = #expect(throws: ATProtoOAuthError.self) { try AuthorizationServerMetadata.decode(Data("{".utf8)) }
        #expect(notJSON?.code == .invalidMetadata)
        let array = #expect(throws: ATProtoOAuthError.self) { try AuthorizationServerMetadata.decode(Data("[]".utf8)) }
        #expect(array?.reason.contains("not a JSON object") == true)
    }

    @Test("R9/R29: the response must be exactly 200 JSON, not a redirect")
    func responseChecks() {
        #expect(AuthorizationServerMetadata.responseChecks(MetadataFixture.jsonOK).failures.isEmpty)
        let withCharset = HTTPResponse(
            status: 200, headers: [(name: "content-type", value: "application/json; charset=utf-8")])
        #expect(AuthorizationServerMetadata.responseChecks(withCharset).failures.isEmpty)
        let redirect = HTTPResponse(
            status: 302,
            headers: [(name: "Content-Type", value: "application/json"), (name: "Location", value: "https://x")])
        let failures = AuthorizationServerMetadata.responseChecks(redirect).failures
        #expect(failures.map(\.name) == ["status"])
        #expect(failures.first?.detail.contains("redirect") == true)
        let created = HTTPResponse(status: 201, headers: [(name: "Content-Type", value: "application/json")])
        #expect(AuthorizationServerMetadata.responseChecks(created).failures.map(\.name) == ["status"])
        let html = HTTPResponse(status: 200, headers: [(name: "Content-Type", value: "text/html")])
        #expect(AuthorizationServerMetadata.responseChecks(html).failures.map(\.name) == ["content_type"])
        #expect(
            AuthorizationServerMetadata.responseChecks(HTTPResponse(status: 200)).failures.map(\.name) == [
                "content_type"
            ])
    }
}
