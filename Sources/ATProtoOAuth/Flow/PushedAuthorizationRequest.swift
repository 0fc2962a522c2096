import Foundation

/// The pushed authorization request (RFC 9126, R14): mandatory in ATProto, so the
/// authorization URL the browser opens carries only `client_id` and `request_uri`.
public struct PushedAuthorizationRequest: Sendable, Hashable {
    public var clientID: String
    public var redirectURI: String
    public var scope: String
    public var state: String
    public var codeChallenge: String
    /// What the user typed (R7); omitted when `nil`.
    public var loginHint: String?

    public init(
        clientID: String, redirectURI: String, scope: String, state: String, codeChallenge: String,
        loginHint: String? = nil
    ) {
        self.clientID = clientID
        self.redirectURI = redirectURI
        self.scope = scope
        self.state = state
        self.codeChallenge = codeChallenge
        self.loginHint = loginHint
    }

    /// R14 items, in this order: `client_id, response_type=code, code_challenge,
    /// code_challenge_method=S256, state, redirect_uri, scope[, login_hint]`.
    public var formItems: [(String, String)] {
        var items = [
            ("client_id", clientID), ("response_type", "code"), ("code_challenge", codeChallenge),
            ("code_challenge_method", "S256"), ("state", state), ("redirect_uri", redirectURI), ("scope", scope),
        ]
        if let loginHint { items.append(("login_hint", loginHint)) }
        return items
    }

    public func httpRequest(endpoint: URL, dpopProof: String) -> HTTPRequest {
        FormPost.request(endpoint: endpoint, items: formItems, dpopProof: dpopProof)
    }
}

/// The PAR endpoint's answer: `{"request_uri": "...", "expires_in": 60}`.
public struct PushedAuthorizationResponse: Decodable, Sendable, Hashable {
    public let requestURI: String
    public let expiresIn: Int?

    enum CodingKeys: String, CodingKey {
        case requestURI = "request_uri"
        case expiresIn = "expires_in"
    }

    public init(requestURI: String, expiresIn: Int?) {
        self.requestURI = requestURI
        self.expiresIn = expiresIn
    }

    /// Accepts 201 (RFC 9126) or 200; an OAuth error body becomes `.oauthError` with the
    /// server's `error` as field and its description in the reason.
    public static func parse(_ response: HTTPResponse) throws -> Self {
        guard response.status == 201 || response.status == 200 else {
            if let error = OAuthErrorResponse.parse(response) {
                throw error.asError(rule: "R14", context: "pushed authorization request")
            }
            throw ATProtoOAuthError(
                .oauthError, rule: "R14", field: "status",
                "pushed authorization request: HTTP \(response.status) without an OAuth error body")
        }
        let parsed = try MetadataSupport.decode(
            Self.self, from: response.body, code: .oauthError, rule: "R14", document: "PAR response")
        guard !parsed.requestURI.isEmpty else {
            throw ATProtoOAuthError(
                .oauthError, rule: "R14", field: "request_uri", "PAR response: request_uri is empty")
        }
        return parsed
    }
}

/// The authorization URL the browser opens after PAR (R14).
public enum AuthorizationURL {
    /// `<authorization_endpoint>?client_id=<enc>&request_uri=<enc>` (appended with `&` when
    /// the endpoint already has a query), values encoded with `FormEncoding.encodeComponent`.
    public static func make(endpoint: URL, clientID: String, requestURI: String) -> URL {
        let query = FormEncoding.encode([("client_id", clientID), ("request_uri", requestURI)])
        var base = endpoint.absoluteString
        var fragment = ""
        if let hash = base.firstIndex(of: "#") {
            fragment = String(base[hash...])
            base = String(base[..<hash])
        }
        let separator = base.contains("?") ? (base.hasSuffix("?") || base.hasSuffix("&") ? "" : "&") : "?"
        return URL(string: base + separator + query + fragment) ?? endpoint
    }
}
