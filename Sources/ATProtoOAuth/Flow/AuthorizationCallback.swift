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

    /// R18: returns the authorization `code` once `state` and `iss` match.
    ///
    /// Order of checks: every parameter at most once; a `state` that is present but wrong is
    /// refused before anything else is believed; then an `error` surfaces (`access_denied`
    /// as `.authorizationDenied`, others as `.oauthError`, with `error_description`); then
    /// `state` required, `iss` required and equal, `code` required. Errors never echo the
    /// code or the expected state.
    public func validate(expectedState: String, expectedIssuer: String) throws -> String {
        func fail(_ field: String, _ reason: String) -> ATProtoOAuthError {
            ATProtoOAuthError(.invalidCallback, rule: "R18", field: field, reason)
        }
        var values: [String: String] = [:]
        for (name, value) in query {
            guard values[name] == nil else { throw fail(name, "parameter \(name) appears more than once") }
            values[name] = value
        }
        if let state = values["state"], state != expectedState {
            throw fail("state", "state does not match the pending request (replayed or forged callback)")
        }
        if let error = values["error"] {
            let description = values["error_description"]
            let suffix = description.map { ": \($0)" } ?? ""
            if error == "access_denied" {
                throw ATProtoOAuthError(.authorizationDenied, rule: "R18", field: "error", "access_denied\(suffix)")
            }
            throw ATProtoOAuthError(.oauthError, rule: "R18", field: error, "authorization failed: \(error)\(suffix)")
        }
        guard values["state"]?.isEmpty == false else { throw fail("state", "state is missing") }
        guard let issuer = values["iss"], !issuer.isEmpty else {
            throw fail("iss", "iss is missing; the authorization server must send it (RFC 9207)")
        }
        guard issuer == expectedIssuer else {
            throw fail("iss", "iss \(issuer) does not equal the issuer \(expectedIssuer) the flow started with")
        }
        guard let code = values["code"], !code.isEmpty else { throw fail("code", "code is missing") }
        return code
    }
}
