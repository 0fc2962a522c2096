import Foundation

/// The query of the redirect back to the loopback listener (R18, RFC 9207).
public struct AuthorizationCallback: Sendable {
    public let query: [(String, String)]

    public init(query: [(String, String)]) {
        self.query = query
    }

    /// Parses a raw query string (without `?`).
    public init(queryString: String) {
        self.init(query: FormEncoding.decode(queryString))
    }

    /// R18: whether this callback answers the request that sent `expectedState`: `state`
    /// appears exactly once and equals it. A loopback listener uses this to tell its own
    /// callback from a stray or forged request to the same port, which must not end the login.
    public func answers(expectedState: String) -> Bool {
        let states = query.filter { $0.0 == "state" }
        return states.count == 1 && states[0].1 == expectedState
    }

    /// R18: returns the authorization `code` once `state` and `iss` match.
    ///
    /// Order of checks, so that nothing unverified is believed: every parameter at most once;
    /// `state` required and equal (a callback without it answers no request of ours); `iss`
    /// required and equal (RFC 9207 §2.4: the server promised it, R9, in error responses too);
    /// only then does an `error` surface (`access_denied` as `.authorizationDenied`, others as
    /// `.oauthError`, with `error_description`) — a forged `error=access_denied` is never shown
    /// as a denial; then `code` required. Errors never echo the code or the expected state.
    public func validate(expectedState: String, expectedIssuer: String) throws -> String {
        func fail(_ field: String, _ reason: String) -> ATProtoOAuthError {
            ATProtoOAuthError(.invalidCallback, rule: "R18", field: field, reason)
        }
        var values: [String: String] = [:]
        for (name, value) in query {
            guard values[name] == nil else { throw fail(name, "parameter \(name) appears more than once") }
            values[name] = value
        }
        guard let state = values["state"], !state.isEmpty else { throw fail("state", "state is missing") }
        guard state == expectedState else {
            throw fail("state", "state does not match the pending request (replayed or forged callback)")
        }
        // An error response is not believed without the issuer's word (RFC 9207); its text,
        // which anyone could have sent, is not repeated.
        let unverified = values["error"] == nil ? "" : "; the error it carries is therefore not believed"
        guard let issuer = values["iss"], !issuer.isEmpty else {
            throw fail("iss", "iss is missing; the authorization server must send it (RFC 9207)\(unverified)")
        }
        guard issuer == expectedIssuer else {
            throw fail(
                "iss", "iss \(issuer) does not equal the issuer \(expectedIssuer) the flow started with\(unverified)")
        }
        if let error = values["error"] {
            let description = values["error_description"]
            let suffix = description.map { ": \($0)" } ?? ""
            if error == "access_denied" {
                throw ATProtoOAuthError(.authorizationDenied, rule: "R18", field: "error", "access_denied\(suffix)")
            }
            throw ATProtoOAuthError(.oauthError, rule: "R18", field: error, "authorization failed: \(error)\(suffix)")
        }
        guard let code = values["code"], !code.isEmpty else { throw fail("code", "code is missing") }
        return code
    }
}
