import Foundation
import Testing

@testable import ATProtoOAuth

/// Real documents (origins in Fixtures/RealWorld/README.md).
enum RealWorld {
    static func data(_ name: String) throws -> Data {
        let url = try #require(
            Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures/RealWorld"))
        return try Data(contentsOf: url)
    }

    static func url(_ string: String) -> URL { MetadataFixture.url(string) }
}

/// What a real DID document must give: its handle (R5) and its PDS (R6), or the one R6
/// failure its real difference warrants.
struct DIDCase: Sendable, CustomTestStringConvertible {
    let file: String
    let did: String
    let handle: String?
    /// The PDS origin outside development mode, or `nil` when `failingField` names the R6 failure.
    let pds: String?
    let failingField: String?
    var testDescription: String { file }
}

/// What a real client metadata document fails when judged as this package's profile demands
/// (a native public client, R10–R12): the web apps differ in exactly what makes them web apps.
struct ClientCase: Sendable, CustomTestStringConvertible {
    let file: String
    let failing: Set<String>
    var testDescription: String { "\(file) fails \(failing.sorted())" }
}

@Suite("Real-world corpus (R4–R6, R8, R9, R10–R12, R29)")
struct RealWorldCorpusTests {
    static let didCases: [DIDCase] = [
        DIDCase(
            file: "did-plc-atproto.com", did: "did:plc:ewvi7nxzyoun6zhxrhs64oiz", handle: "atproto.com",
            pds: "https://bsky.social", failingField: nil),
        DIDCase(
            file: "did-plc-atproto.com-legacy", did: "did:plc:ewvi7nxzyoun6zhxrhs64oiz", handle: "atproto.com",
            pds: "https://bsky.social", failingField: nil),
        DIDCase(
            file: "did-plc-dholms.xyz-legacy", did: "did:plc:yk4dd2qkboz2yv6tpubpc6co", handle: "dholms.xyz",
            pds: "https://bsky.social", failingField: nil),
        DIDCase(
            file: "did-plc-dholms.xyz-multikey", did: "did:plc:yk4dd2qkboz2yv6tpubpc6co", handle: "dholms.xyz",
            pds: "https://bsky.social", failingField: nil),
        DIDCase(
            file: "did-plc-greenground.bsky.social", did: "did:plc:wqgdnqlv2mwiio6pfchwtrff",
            handle: "greenground.bsky.social", pds: "https://bsky.social", failingField: nil),
        DIDCase(
            file: "did-plc-paul.staging.bsky.dev", did: "did:plc:cmpvykrzb2l22kj4ojlv3ox4",
            handle: "paul.staging.bsky.dev", pds: "https://pds.staging.bsky.dev", failingField: nil),
        // A labeler: the PDS comes first, the #atproto_labeler service is simply another service.
        DIDCase(
            file: "did-plc-moderation.bsky.app-labeler", did: "did:plc:ar7c4by46qjdydhdevvrndac",
            handle: "moderation.bsky.app", pds: "https://inkcap.us-east.host.bsky.network", failingField: nil),
        // Local dev-env accounts: an http://localhost PDS is refused outside development mode (R6, R29).
        DIDCase(
            file: "did-plc-devenv-k256-localhost-pds", did: "did:plc:z5vnbioquyhivxirw3bbljmu",
            handle: "koch5149-c5.test", pds: nil, failingField: "service[0].serviceEndpoint"),
        DIDCase(
            file: "did-plc-devenv-p256-localhost-pds", did: "did:plc:dpg45vsnuir2vqqqadsn6afg",
            handle: "ebert9014-89.test", pds: nil, failingField: "service[0].serviceEndpoint"),
        // Feed generators are did:web services, not accounts: no handle, no PDS (R6 names 'service').
        DIDCase(
            file: "did-web-discover.bsky.social-feedgen", did: "did:web:discover.bsky.social", handle: nil, pds: nil,
            failingField: "service"),
        DIDCase(
            file: "did-web-feed.test.furryli.st-feedgen", did: "did:web:feed.test.furryli.st", handle: nil, pds: nil,
            failingField: "service"),
    ]

    @Test(
        "R4–R6: each real DID document decodes and yields its handle and PDS, or its one R6 failure",
        arguments: didCases)
    func didDocument(_ item: DIDCase) throws {
        let did = try DID(item.did)
        if did.isWeb { _ = try did.webDocumentURL(allowLocalhostPort: false) }
        let document = try DIDDocument.decode(try RealWorld.data(item.file), expectedDID: did)
        #expect(document.handle?.rawValue == item.handle)
        if let pds = item.pds {
            #expect(try document.pdsEndpoint(allowHTTPLoopback: false).absoluteString == pds)
        } else {
            let error = try #require(throws: ATProtoOAuthError.self) {
                try document.pdsEndpoint(allowHTTPLoopback: false)
            }
            #expect(error.rule == "R6")
            #expect(error.code == .invalidDIDDocument)
            #expect(error.field == item.failingField)
        }
        // Whatever decoded re-encodes to an equal document.
        #expect(try DIDDocument.decode(try JSONEncoder().encode(document), expectedDID: did) == document)
    }

    @Test("R6, R2: dev-env documents pass in development mode, where their .test handles may resolve")
    func devEnvInDevelopment() throws {
        for (file, did) in [
            ("did-plc-devenv-k256-localhost-pds", "did:plc:z5vnbioquyhivxirw3bbljmu"),
            ("did-plc-devenv-p256-localhost-pds", "did:plc:dpg45vsnuir2vqqqadsn6afg"),
        ] {
            let document = try DIDDocument.decode(try RealWorld.data(file), expectedDID: try DID(did))
            #expect(try document.pdsEndpoint(allowHTTPLoopback: true).absoluteString == "http://localhost:2583")
            let handle = try #require(document.handle)
            #expect(throws: ATProtoOAuthError.self) { try handle.requireResolvable() }
            try handle.requireResolvable(development: true)
        }
    }

    @Test("R6: the labeler document keeps its #atproto_labeler service beside the PDS")
    func labelerServices() throws {
        let document = try DIDDocument.decode(
            try RealWorld.data("did-plc-moderation.bsky.app-labeler"),
            expectedDID: try DID("did:plc:ar7c4by46qjdydhdevvrndac"))
        let labeler = try #require(document.service?.first { $0.id == "#atproto_labeler" })
        #expect(labeler.hasType("AtprotoLabeler"))
        #expect(labeler.serviceEndpoint.stringValue == "https://mod.bsky.app")
    }

    @Test("R4: the reference client's malformed document (no 'id') fails decoding, naming 'id'")
    func malformedDocument() throws {
        let error = try #require(throws: ATProtoOAuthError.self) {
            try DIDDocument.decode(
                try RealWorld.data("did-plc-dholms.xyz-malformed"),
                expectedDID: try DID("did:plc:yk4dd2qkboz2yv6tpubpc6co"))
        }
        #expect(error.rule == "R4")
        #expect(error.field == "id")
    }

    @Test(
        "R8: real protected-resource documents pass for their PDS and name one authorization server",
        arguments: [
            ("indie-protected-resource", "https://pds.robocracy.org", "https://pds.robocracy.org"),
            ("morel-protected-resource", "https://morel.us-east.host.bsky.network", "https://bsky.social"),
        ])
    func protectedResource(_ file: String, _ pds: String, _ issuer: String) throws {
        let metadata = try ProtectedResourceMetadata.decode(try RealWorld.data(file))
        #expect(metadata.checks(pds: RealWorld.url(pds), allowHTTPLoopback: false).failures.isEmpty)
        #expect(try metadata.authorizationServer(allowHTTPLoopback: false).absoluteString == issuer)
        // Served for another PDS, the same document fails exactly the resource check.
        let elsewhere = metadata.checks(pds: RealWorld.url("https://other.example.com"), allowHTTPLoopback: false)
        #expect(elsewhere.failures.map(\.name) == ["resource"])
    }

    @Test(
        "R9, R29: real authorization-server documents pass every check for their issuer",
        arguments: [
            ("bsky-entryway-authorization-server", "https://bsky.social"),
            ("indie-authorization-server", "https://pds.robocracy.org"),
        ])
    func authorizationServer(_ file: String, _ issuer: String) throws {
        let metadata = try AuthorizationServerMetadata.decode(try RealWorld.data(file))
        #expect(metadata.checks(issuer: RealWorld.url(issuer), allowHTTPLoopback: false).failures.isEmpty)
        let elsewhere = metadata.checks(issuer: RealWorld.url("https://other.example.com"), allowHTTPLoopback: false)
        #expect(elsewhere.failures.map(\.name) == ["issuer"])
    }

    @Test("R29: the entryway lists no protected_resources, so any PDS it names is accepted")
    func entrywayProtectedResources() throws {
        let metadata = try AuthorizationServerMetadata.decode(try RealWorld.data("bsky-entryway-authorization-server"))
        #expect(metadata.protectedResources == nil)
        #expect(metadata.protectedResourcesCheck(resource: "https://morel.us-east.host.bsky.network") == nil)
    }

    @Test("R29: the self-hosted PDS lists itself in protected_resources; its own resource passes, another fails")
    func indieProtectedResources() throws {
        let server = try AuthorizationServerMetadata.decode(try RealWorld.data("indie-authorization-server"))
        let resource = try ProtectedResourceMetadata.decode(try RealWorld.data("indie-protected-resource"))
        #expect(server.protectedResources == ["https://pds.robocracy.org"])
        let own = try #require(server.protectedResourcesCheck(resource: resource.resource))
        #expect(own.ok && own.rule == "R29" && own.name == "protected_resources")
        #expect(server.protectedResourcesCheck(resource: "https://pds.robocracy.org/")?.ok == true)
        let morel = try ProtectedResourceMetadata.decode(try RealWorld.data("morel-protected-resource"))
        let other = try #require(server.protectedResourcesCheck(resource: morel.resource))
        #expect(!other.ok && other.rule == "R29" && other.name == "protected_resources")
        #expect(other.detail.contains("morel.us-east.host.bsky.network"))
    }

    static let clientCases: [ClientCase] = [
        ClientCase(file: "statusphere-client-metadata", failing: ["application_type"]),
        ClientCase(file: "smokesignal-client-metadata", failing: ["application_type"]),
        ClientCase(file: "client-pdsls", failing: ["application_type"]),
        ClientCase(file: "client-phanpy-bluepy", failing: ["application_type"]),
        // A confidential web client: it also authenticates with private_key_jwt, not none.
        ClientCase(file: "client-flaskdemo", failing: ["application_type", "token_endpoint_auth_method"]),
    ]

    @Test(
        "R10–R12: real client metadata decodes; judged as a native public client, each fails only what makes it a web app",
        arguments: clientCases)
    func clientMetadata(_ item: ClientCase) throws {
        let metadata = try ClientMetadata.decode(try RealWorld.data(item.file))
        let checks = metadata.checks(
            clientID: RealWorld.url(metadata.clientID), fetchedResponse: MetadataFixture.jsonOK)
        #expect(Set(checks.failures.map(\.name)) == item.failing)
        #expect(checks.failures.allSatisfy { $0.rule == "R11" })
    }
}
