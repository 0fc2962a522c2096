import Foundation

/// Requests to the token endpoint (R19, refresh R24). Public clients authenticate with
/// `client_id` only; the DPoP proof binds the tokens to the session key.
public enum TokenRequest: Sendable, Hashable {
    case authorizationCode(code: String, codeVerifier: String, redirectURI: String, clientID: String)
    case refresh(refreshToken: String, clientID: String)

    /// `grant_type=authorization_code, code, code_verifier, redirect_uri, client_id` or
    /// `grant_type=refresh_token, refresh_token, client_id`, in that order.
    public var formItems: [(String, String)] {
        switch self {
        case .authorizationCode(let code, let codeVerifier, let redirectURI, let clientID):
            return [
                ("grant_type", "authorization_code"), ("code", code), ("code_verifier", codeVerifier),
                ("redirect_uri", redirectURI), ("client_id", clientID),
            ]
        case .refresh(let refreshToken, let clientID):
            return [("grant_type", "refresh_token"), ("refresh_token", refreshToken), ("client_id", clientID)]
        }
    }

    public func httpRequest(endpoint: URL, dpopProof: String) -> HTTPRequest {
        FormPost.request(endpoint: endpoint, items: formItems, dpopProof: dpopProof)
    }
}

/// Token revocation (RFC 7009, R27): sent at logout, before the local session is deleted.
public struct RevocationRequest: Sendable, Hashable {
    public var token: String
    /// `refresh_token` or `access_token`; omitted when `nil`.
    public var tokenTypeHint: String?
    public var clientID: String

    public init(token: String, tokenTypeHint: String? = "refresh_token", clientID: String) {
        self.token = token
        self.tokenTypeHint = tokenTypeHint
        self.clientID = clientID
    }

    /// `token[, token_type_hint], client_id`.
    public var formItems: [(String, String)] {
        var items = [("token", token)]
        if let tokenTypeHint { items.append(("token_type_hint", tokenTypeHint)) }
        items.append(("client_id", clientID))
        return items
    }

    public func httpRequest(endpoint: URL, dpopProof: String) -> HTTPRequest {
        FormPost.request(endpoint: endpoint, items: formItems, dpopProof: dpopProof)
    }
}
