import ATProtoOAuth
import Foundation
import Testing

/// R18 with RFC 9207: nothing in a callback is believed before its `state` and `iss` are.
@Suite("Callback validation order (R18, RFC 9207)")
struct CallbackOrderTests {
    static let state = "s1"
    static let issuer = "https://bsky.social"

    func error(_ query: [(String, String)]) -> ATProtoOAuthError? {
        #expect(throws: ATProtoOAuthError.self) {
            try AuthorizationCallback(query: query).validate(expectedState: Self.state, expectedIssuer: Self.issuer)
        }
    }

    @Test("R18: answers(expectedState:) only for exactly one matching state")
    func answers() {
        let matching: [(String, String)] = [("state", "s1"), ("code", "c")]
        #expect(AuthorizationCallback(query: matching).answers(expectedState: "s1"))
        #expect(!AuthorizationCallback(query: matching).answers(expectedState: "s2"))
        #expect(!AuthorizationCallback(query: [("code", "c")]).answers(expectedState: "s1"))
        #expect(!AuthorizationCallback(query: [("state", "s1"), ("state", "s1")]).answers(expectedState: "s1"))
    }

    @Test("R18: a forged access_denied (wrong or no state, wrong or no iss) is never a denial")
    func forgedDenials() {
        let cases: [([(String, String)], String)] = [
            ([("state", "forged"), ("iss", Self.issuer), ("error", "access_denied")], "state"),
            ([("iss", Self.issuer), ("error", "access_denied")], "state"),
            ([("state", Self.state), ("error", "access_denied"), ("error_description", "xyzzy")], "iss"),
            ([("state", Self.state), ("iss", "https://evil.example"), ("error", "access_denied")], "iss"),
        ]
        for (query, field) in cases {
            let error = error(query)
            #expect(error?.code == .invalidCallback && error?.field == field && error?.rule == "R18", "\(query)")
            #expect(error?.reason.contains("xyzzy") == false, "an unverified description was repeated")
        }
    }

    @Test("R18: an error with matching state and iss surfaces with its description")
    func verifiedErrors() {
        let denied = error([
            ("state", Self.state), ("iss", Self.issuer), ("error", "access_denied"),
            ("error_description", "User declined"),
        ])
        #expect(denied?.code == .authorizationDenied && denied?.reason.contains("User declined") == true)
        let other = error([("state", Self.state), ("iss", Self.issuer), ("error", "server_error")])
        #expect(other?.code == .oauthError && other?.field == "server_error")
    }
}
