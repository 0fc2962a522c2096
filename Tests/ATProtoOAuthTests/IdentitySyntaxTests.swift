import Foundation
import Testing

@testable import ATProtoOAuth

/// Loads an interop syntax list: every non-comment, non-empty line, verbatim (leading or
/// trailing spaces are part of the vector).
func identityVectors(_ name: String) throws -> [String] {
    let url = try #require(Bundle.module.url(forResource: name, withExtension: "txt", subdirectory: "Fixtures"))
    let text = try String(contentsOf: url, encoding: .utf8)
    return text.split(separator: "\n", omittingEmptySubsequences: false)
        .map(String.init)
        .filter { !$0.isEmpty && !$0.hasPrefix("#") }
}

@Suite("Identity syntax (R2, R4)")
struct IdentitySyntaxTests {
    @Test("R2: every valid handle vector is accepted and lower-cased")
    func validHandles() throws {
        let vectors = try identityVectors("handle_syntax_valid")
        #expect(vectors.count > 50)
        for vector in vectors {
            let handle = try Handle(vector)
            #expect(handle.rawValue == vector.lowercased())
        }
    }

    @Test("R2: every invalid handle vector is rejected with rule R2")
    func invalidHandles() throws {
        let vectors = try identityVectors("handle_syntax_invalid")
        #expect(vectors.contains("john.test "))
        #expect(vectors.contains(" john.test"))
        for vector in vectors {
            let error = try #require(throws: ATProtoOAuthError.self, "\(vector)") { try Handle(vector) }
            #expect(error.code == .invalidHandle)
            #expect(error.rule == "R2")
            #expect(error.field == "handle")
        }
    }

    @Test("R4: every valid DID vector is accepted verbatim")
    func validDIDs() throws {
        for vector in try identityVectors("did_syntax_valid") {
            #expect(try DID(vector).rawValue == vector)
        }
    }

    @Test("R4: every invalid DID vector is rejected with rule R4")
    func invalidDIDs() throws {
        for vector in try identityVectors("did_syntax_invalid") {
            let error = try #require(throws: ATProtoOAuthError.self, "\(vector)") { try DID(vector) }
            #expect(error.code == .invalidDID)
            #expect(error.rule == "R4")
        }
    }

    @Test("R2/R4: at-identifier vectors")
    func atIdentifiers() throws {
        for vector in try identityVectors("atidentifier_syntax_valid") {
            let identifier = try ATIdentifier(vector)
            if vector.hasPrefix("did:") {
                #expect(identifier == .did(try DID(vector)))
            } else {
                #expect(identifier == .handle(try Handle(vector)))
            }
        }
        for vector in try identityVectors("atidentifier_syntax_invalid") {
            #expect(throws: ATProtoOAuthError.self, "\(vector)") { try ATIdentifier(vector) }
        }
    }

    @Test("R28: NSID vectors (used by granular scopes)")
    func nsids() throws {
        for vector in try identityVectors("nsid_syntax_valid") {
            #expect(try NSID(vector).rawValue == vector)
        }
        let invalid = try identityVectors("nsid_syntax_invalid")
        #expect(invalid.contains("one.two.three "))
        for vector in invalid {
            let error = try #require(throws: ATProtoOAuthError.self, "\(vector)") { try NSID(vector) }
            #expect(error.code == .invalidNSID)
        }
        let nsid = try NSID("app.bsky.feed.post")
        #expect(nsid.authority == "app.bsky.feed")
        #expect(nsid.name == "post")
    }

    @Test("R2: handles are normalised to lower case and compare case-insensitively")
    func handleNormalisation() throws {
        let handle = try Handle("Alice.BSKY.Social")
        #expect(handle.rawValue == "alice.bsky.social")
        #expect(handle.description == "alice.bsky.social")
        #expect(handle == (try Handle("alice.bsky.social")))
    }

    @Test("R2: handles encode and decode as one string, decoding validates")
    func handleCodable() throws {
        let data = try JSONEncoder().encode([try Handle("Alice.Test")])
        #expect(String(decoding: data, as: UTF8.self) == #"["alice.test"]"#)
        #expect(try JSONDecoder().decode([Handle].self, from: data) == [try Handle("alice.test")])
        #expect(throws: ATProtoOAuthError.self) {
            try JSONDecoder().decode([Handle].self, from: Data(#"["not a handle"]"#.utf8))
        }
        let did = try JSONDecoder().decode([DID].self, from: Data(#"["did:plc:abc"]"#.utf8))
        #expect(did == [try DID("did:plc:abc")])
    }

    @Test(
        "R2: .alt .arpa .example .internal .invalid .local .localhost .onion and handle.invalid never resolve",
        arguments: [
            ("laptop.local", "local"), ("SRI-NIC.ARPA", "arpa"), ("friend.expyuzz4wqqyqhjn.onion", "onion"),
            ("server.internal", "internal"), ("handle.invalid", "handle.invalid"), ("other.invalid", "invalid"),
            ("alice.example", "example"), ("dev.localhost", "localhost"), ("name.alt", "alt"),
        ])
    func disallowedTLDs(_ input: String, _ named: String) throws {
        let handle = try Handle(input)
        #expect(!handle.isResolvable)
        #expect(!handle.isResolvable(development: true))
        let error = try #require(throws: ATProtoOAuthError.self) { try handle.requireResolvable() }
        #expect(error.rule == "R2")
        #expect(error.reason.contains(named))
        #expect(throws: ATProtoOAuthError.self) { try handle.requireResolvable(development: true) }
    }

    @Test("R2: the list of disallowed TLDs is exactly the checklist's")
    func disallowedTLDList() {
        #expect(
            Handle.disallowedTLDs == ["alt", "arpa", "example", "internal", "invalid", "local", "localhost", "onion"])
        #expect(Handle.developmentTLDs == ["test"])
    }

    @Test("R2: .test resolves only in development mode (the dev network's alice.test, bob.test, carol.test)")
    func testTLDOnlyInDevelopment() throws {
        for input in ["alice.test", "bob.test", "carol.test"] {
            let handle = try Handle(input)
            #expect(!handle.isResolvable)
            let error = try #require(throws: ATProtoOAuthError.self) { try handle.requireResolvable() }
            #expect(error.rule == "R2")
            #expect(error.reason.contains("'.test'") && error.reason.contains("development mode"))
            #expect(handle.isResolvable(development: true))
            try handle.requireResolvable(development: true)
        }
    }

    @Test("R2: ordinary handles resolve, including names that merely contain a disallowed word")
    func resolvableHandles() throws {
        for input in ["alice.bsky.social", "local.example.com", "test.bsky.social", "onion.dev", "example.com"] {
            let handle = try Handle(input)
            #expect(handle.isResolvable)
            try handle.requireResolvable()
        }
    }

    @Test("R2: did:web hosts under a disallowed TLD are refused before any request; .test only in development")
    func webDisallowedTLDs() throws {
        for host in [
            "pds.local", "x.onion", "corp.internal", "a.example", "b.invalid", "c.alt", "d.arpa", "e.localhost",
        ] {
            let did = try DID("did:web:\(host)")
            let error = try #require(throws: ATProtoOAuthError.self) {
                try did.webDocumentURL(allowLocalhostPort: true)
            }
            #expect(error.rule == "R2")
            #expect(error.reason.contains(host))
        }
        let test = try DID("did:web:feed.test")
        let refused = try #require(throws: ATProtoOAuthError.self) {
            try test.webDocumentURL(allowLocalhostPort: false)
        }
        #expect(refused.rule == "R2" && refused.reason.contains("development mode"))
        #expect(
            try test.webDocumentURL(allowLocalhostPort: true).absoluteString == "https://feed.test/.well-known/did.json"
        )
        // localhost is the development loopback host, and nothing else.
        #expect(throws: ATProtoOAuthError.self) {
            try DID("did:web:localhost").webDocumentURL(allowLocalhostPort: false)
        }
        #expect(
            try DID("did:web:localhost%3A2584").webDocumentURL(allowLocalhostPort: true).absoluteString
                == "http://localhost:2584/.well-known/did.json")
    }

    @Test("R4: DID parts and supported methods")
    func didParts() throws {
        let plc = try DID("did:plc:7iza6de2dwap2sbkpav7c6c6")
        #expect(plc.method == "plc")
        #expect(plc.methodSpecificID == "7iza6de2dwap2sbkpav7c6c6")
        #expect(plc.isPLC && !plc.isWeb && plc.isSupportedForResolution)
        let web = try DID("did:web:example.com")
        #expect(web.isWeb && web.isSupportedForResolution)
        let key = try DID("did:key:zQ3shZc2QzApp2oymGvQbzP8eKheVshBHbU4ZYjeXqwSKEn6N")
        #expect(!key.isSupportedForResolution)
        let error = try #require(throws: ATProtoOAuthError.self) { try key.requireSupportedMethod() }
        #expect(error.reason.contains("unsupported DID method 'key'"))
        #expect(error.rule == "R4")
        try plc.requireSupportedMethod()
    }

    @Test("R4: did:plc documents come from <directory>/<did>")
    func plcURL() throws {
        let did = try DID("did:plc:7iza6de2dwap2sbkpav7c6c6")
        let directory = try #require(URL(string: "https://plc.directory"))
        #expect(
            did.plcDocumentURL(directory: directory).absoluteString
                == "https://plc.directory/did:plc:7iza6de2dwap2sbkpav7c6c6")
        let slashed = try #require(URL(string: "http://127.0.0.1:2582/"))
        #expect(
            did.plcDocumentURL(directory: slashed).absoluteString
                == "http://127.0.0.1:2582/did:plc:7iza6de2dwap2sbkpav7c6c6")
    }

    @Test("R4: did:web is hostname-only at https://<host>/.well-known/did.json")
    func webURL() throws {
        let did = try DID("did:web:Example.COM")
        #expect(
            try did.webDocumentURL(allowLocalhostPort: false).absoluteString
                == "https://example.com/.well-known/did.json")
        #expect(
            try did.webDocumentURL(allowLocalhostPort: true).absoluteString
                == "https://example.com/.well-known/did.json")
    }

    @Test("R4: did:web with a path is rejected")
    func webPathRejected() throws {
        let did = try DID("did:web:example.com:user:alice")
        let error = try #require(throws: ATProtoOAuthError.self) { try did.webDocumentURL(allowLocalhostPort: true) }
        #expect(error.rule == "R4")
        #expect(error.reason.contains("path"))
    }

    @Test("R4: a did:web port is only allowed for localhost in development, over http")
    func webPort() throws {
        let local = try DID("did:web:localhost%3A1234")
        #expect(
            try local.webDocumentURL(allowLocalhostPort: true).absoluteString
                == "http://localhost:1234/.well-known/did.json")
        #expect(throws: ATProtoOAuthError.self) { try local.webDocumentURL(allowLocalhostPort: false) }
        let loopback = try DID("did:web:127.0.0.1%3A8080")
        #expect(
            try loopback.webDocumentURL(allowLocalhostPort: true).absoluteString
                == "http://127.0.0.1:8080/.well-known/did.json")
        let remote = try DID("did:web:example.com%3A8443")
        let error = try #require(throws: ATProtoOAuthError.self) { try remote.webDocumentURL(allowLocalhostPort: true) }
        #expect(error.reason.contains("port"))
        #expect(throws: ATProtoOAuthError.self) {
            try DID("did:web:localhost%3Axyz").webDocumentURL(allowLocalhostPort: true)
        }
        #expect(throws: ATProtoOAuthError.self) {
            try DID("did:web:exa_mple.com").webDocumentURL(allowLocalhostPort: false)
        }
        #expect(throws: ATProtoOAuthError.self) { try DID("did:plc:abc").webDocumentURL(allowLocalhostPort: false) }
    }
}
