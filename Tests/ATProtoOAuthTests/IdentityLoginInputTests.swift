import Foundation
import Testing

@testable import ATProtoOAuth

@Suite("Login input (R1, R7)")
struct IdentityLoginInputTests {
    @Test("R1: a handle, trimmed, with a leading @ or at:// stripped, lower-cased")
    func handles() throws {
        for typed in [
            "alice.bsky.social", "  @Alice.Bsky.Social\n", "at://alice.bsky.social", "AT://alice.bsky.social/",
        ] {
            let input = try LoginInput(typed, allowHTTPLoopback: false)
            #expect(input == .handle(try Handle("alice.bsky.social")), "\(typed)")
            #expect(input.typed == "alice.bsky.social")
        }
    }

    @Test("R1: a DID, also behind at://")
    func dids() throws {
        let did = try DID("did:plc:7iza6de2dwap2sbkpav7c6c6")
        #expect(try LoginInput(" did:plc:7iza6de2dwap2sbkpav7c6c6 ", allowHTTPLoopback: false) == .did(did))
        #expect(try LoginInput("at://did:plc:7iza6de2dwap2sbkpav7c6c6", allowHTTPLoopback: false) == .did(did))
        #expect(try LoginInput("did:web:example.com", allowHTTPLoopback: false).typed == "did:web:example.com")
    }

    @Test("R1: an https server URL becomes its origin and skips identity resolution")
    func serverURLs() throws {
        for typed in ["https://bsky.social", "https://bsky.social/", "HTTPS://BSKY.SOCIAL:443/"] {
            let input = try LoginInput(typed, allowHTTPLoopback: false)
            #expect(input == .serverURL(try #require(URL(string: "https://bsky.social"))), "\(typed)")
        }
        let withPort = try LoginInput("https://pds.example.com:8443", allowHTTPLoopback: false)
        #expect(withPort.typed == "https://pds.example.com:8443")
    }

    @Test("R1/R29: http only for loopback and only in development mode")
    func httpLoopback() throws {
        let input = try LoginInput("http://127.0.0.1:2583", allowHTTPLoopback: true)
        #expect(input == .serverURL(try #require(URL(string: "http://127.0.0.1:2583"))))
        #expect(throws: ATProtoOAuthError.self) { try LoginInput("http://127.0.0.1:2583", allowHTTPLoopback: false) }
        #expect(throws: ATProtoOAuthError.self) { try LoginInput("http://pds.example.com", allowHTTPLoopback: true) }
    }

    @Test(
        "R1: server URLs must be bare origins",
        arguments: [
            "https://bsky.social/xrpc", "https://bsky.social/?q=1", "https://bsky.social/#frag",
            "https://user:pw@bsky.social", "https://", "ftp://bsky.social", "wss://bsky.social",
        ])
    func rejectedURLs(_ typed: String) throws {
        let error = try #require(throws: ATProtoOAuthError.self) { try LoginInput(typed, allowHTTPLoopback: true) }
        #expect(error.rule == "R1")
        #expect(error.code == .invalidIdentifier)
    }

    @Test(
        "R1: errors name what was typed and why",
        arguments: ["", "   ", "not a handle", "did:plc", "@", "john", "DID:plc:abc"])
    func rejectedIdentifiers(_ typed: String) throws {
        let error = try #require(throws: ATProtoOAuthError.self) { try LoginInput(typed, allowHTTPLoopback: false) }
        #expect(error.rule == "R1")
        #expect(error.field == "login")
        let trimmed = typed.trimmingCharacters(in: .whitespaces)
        if !trimmed.isEmpty { #expect(error.reason.contains(trimmed)) }
    }

    @Test("R7: typed round-trips through the parser")
    func typedRoundTrip() throws {
        for typed in ["@Bob.Test", "did:web:example.com", "https://pds.example.com/"] {
            let input = try LoginInput(typed, allowHTTPLoopback: false)
            #expect(try LoginInput(input.typed, allowHTTPLoopback: false) == input)
            #expect(input.description == input.typed)
        }
    }
}
