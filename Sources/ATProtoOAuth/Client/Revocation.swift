import Foundation

/// Token revocation (RFC 7009, R27) as one implementation for every caller: logout, a login
/// that replaces a stored session, and a login whose token checks failed.
///
/// The request and the verdict on the answer are pure (``request(accessToken:refreshToken:clientID:)``,
/// ``check(_:)``); ``send(endpoint:accessToken:refreshToken:clientID:key:nonces:transport:now:)``
/// adds the one DPoP-signed POST (R22, R23: a nonce challenge is retried once and `nonces` is
/// updated).
///
/// ```swift
/// var nonces = session.dpopNonces
/// try await Revocation.send(session, nonces: &nonces, transport: transport)
/// ```
public enum Revocation {
    /// Revoking the refresh token ends the whole grant (the server drops the access tokens it
    /// issued under it); without one, the access token is revoked.
    public static func request(accessToken: String, refreshToken: String?, clientID: String) -> RevocationRequest {
        if let refreshToken {
            return RevocationRequest(token: refreshToken, tokenTypeHint: "refresh_token", clientID: clientID)
        }
        return RevocationRequest(token: accessToken, tokenTypeHint: "access_token", clientID: clientID)
    }

    /// RFC 7009 §2.2: any 2xx means revoked (or already invalid). Anything else is an
    /// `.oauthError` naming the status and, when the body has one, the OAuth error code — never
    /// the token.
    public static func check(_ response: HTTPResponse) throws {
        guard !(200..<300).contains(response.status) else { return }
        let error = OAuthErrorResponse.parse(response)
        throw ATProtoOAuthError(
            .oauthError, rule: "R27", field: "revocation_endpoint",
            "revocation answered \(response.status)\(error.map { " \($0.error)" } ?? "")")
    }

    /// Sends the revocation with a DPoP proof of `key` (the key the tokens are bound to) and
    /// checks the answer.
    ///
    /// - Parameter endpoint: the authorization server's `revocation_endpoint`; `nil` throws
    ///   `.invalidSession` (the server publishes none, so the grant can only expire, R26).
    public static func send(
        endpoint: URL?, accessToken: String, refreshToken: String?, clientID: String, key: DPoPKey,
        nonces: inout [String: String], transport: any HTTPTransport,
        now: @escaping @Sendable () -> Date = { Date() }
    ) async throws {
        guard let endpoint else {
            throw ATProtoOAuthError(
                .invalidSession, rule: "R27", field: "revocation_endpoint",
                "the authorization server publishes no revocation endpoint")
        }
        let request = request(accessToken: accessToken, refreshToken: refreshToken, clientID: clientID)
        let response = try await DPoPSender(transport: transport, key: key, now: now).send(
            method: "POST", url: endpoint, nonces: &nonces
        ) { proof in
            request.httpRequest(endpoint: endpoint, dpopProof: proof)
        }
        try check(response)
    }

    /// Revokes a stored session's grant with its own DPoP key and nonces (`nonces` starts from
    /// the caller's copy, e.g. `session.dpopNonces`, and is updated).
    public static func send(
        _ session: Session, nonces: inout [String: String], transport: any HTTPTransport,
        now: @escaping @Sendable () -> Date = { Date() }
    ) async throws {
        guard session.revocationEndpoint != nil else {
            throw ATProtoOAuthError(
                .invalidSession, rule: "R27", field: "revocation_endpoint",
                "\(session.issuer) publishes no revocation endpoint")
        }
        try await send(
            endpoint: session.revocationEndpoint, accessToken: session.accessToken,
            refreshToken: session.refreshToken, clientID: session.clientID,
            key: try DPoPKey(privateJWK: session.dpopKey),
            nonces: &nonces, transport: transport, now: now)
    }
}
