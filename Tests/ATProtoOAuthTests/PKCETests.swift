import Foundation
import Testing

@testable import ATProtoOAuth

@Suite("PKCE (R15)")
struct PKCETests {
    @Test("R15: RFC 7636 Appendix B vector")
    func rfc7636Vector() throws {
        let pkce = try PKCE(verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
        #expect(pkce.challenge == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
        #expect(PKCE.challenge(for: pkce.verifier) == pkce.challenge)
        #expect(PKCE.method == "S256")
    }

    @Test("R15: a fresh verifier is 43 unreserved characters and differs each time")
    func freshVerifier() throws {
        let first = PKCE()
        let second = PKCE()
        #expect(first.verifier.count == 43)
        #expect(first.verifier != second.verifier)
        #expect(try PKCE(verifier: first.verifier).challenge == first.challenge)
        #expect(Base64URL.decode(first.verifier)?.count == 32)
    }

    @Test("R15: verifier length must be 43–128", arguments: [0, 1, 42, 129, 300])
    func rejectsLength(length: Int) {
        #expect(throws: ATProtoOAuthError.self) { try PKCE(verifier: String(repeating: "a", count: length)) }
    }

    @Test("R15: verifier lengths 43 and 128 are accepted", arguments: [43, 128])
    func acceptsBounds(length: Int) throws {
        let pkce = try PKCE(verifier: String(repeating: "A", count: length))
        #expect(pkce.verifier.count == length)
    }

    @Test("R15: verifier may only use [A-Za-z0-9-._~]", arguments: ["+", "/", "=", " ", "é", "%", "\n"])
    func rejectsCharset(bad: String) throws {
        let verifier = String(repeating: "a", count: 42) + bad
        let error = try #require(throws: ATProtoOAuthError.self) { try PKCE(verifier: verifier) }
        #expect(error.rule == "R15")
        #expect(error.field == "code_verifier")
        #expect(error.code == .crypto)
    }

    @Test("R15: every unreserved character is allowed")
    func acceptsUnreserved() throws {
        let verifier = "ABCXYZabcxyz0189-._~" + String(repeating: "q", count: 30)
        #expect(try PKCE(verifier: verifier).verifier == verifier)
    }

    @Test("R15: description never shows the verifier")
    func descriptionHidesVerifier() throws {
        let pkce = PKCE()
        #expect(!pkce.description.contains(pkce.verifier))
        #expect(!String(describing: pkce).contains(pkce.verifier))
        #expect(pkce.description.contains(pkce.challenge))
        let error = try #require(throws: ATProtoOAuthError.self) {
            try PKCE(verifier: pkce.verifier + "!")
        }
        #expect(!error.description.contains(pkce.verifier))
    }
}
