import Foundation

/// Keeps stored sessions alive and uses them (R21–R27).
///
/// - Refreshes when the access token has under `refreshMargin` left, or once after a
///   resource server says `invalid_token` (R25).
/// - Serialises every refresh of an account through `SessionStorage.withLock` and re-reads
///   the stored session inside the lock: another thread or process may have refreshed
///   already, and reusing its spent refresh token would get the session revoked (R24).
/// - Persists the new token set and nonces before returning; on `invalid_grant` marks the
///   account `needsLogin` (the file is kept, never silently deleted).
public struct SessionAgent: Sendable {
    /// Refresh when fewer than this many seconds of access-token life remain.
    public static let refreshMargin: TimeInterval = 60

    public let transport: any HTTPTransport
    public let storage: any SessionStorage
    public let issuerResolver: (any IssuerResolving)?
    public let lockTimeout: Duration
    private let now: @Sendable () -> Date

    public init(
        transport: any HTTPTransport, storage: any SessionStorage, issuerResolver: (any IssuerResolving)?,
        lockTimeout: Duration = .seconds(30), now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.transport = transport
        self.storage = storage
        self.issuerResolver = issuerResolver
        self.lockTimeout = lockTimeout
        self.now = now
    }

    /// The account's session with at least `refreshMargin` of access-token life, refreshing
    /// first if needed.
    public func validSession(_ did: DID) async throws -> Session {
        let session = try storage.load(did)
        try Self.requireUsable(session)
        guard session.accessTokenExpires(within: Self.refreshMargin, now: now()) else { return session }
        return try await refresh(did, replacing: session.accessToken)
    }

    /// Refreshes the account's tokens.
    ///
    /// - Parameter stale: the access token the caller found wanting. If the stored session
    ///   already holds a different one, another process refreshed meanwhile and that session
    ///   is returned without spending the refresh token again. `nil` forces a refresh.
    public func refresh(_ did: DID, replacing stale: String?) async throws -> Session {
        try await storage.withLock(did, timeout: lockTimeout) {
            var session = try storage.load(did)
            try Self.requireUsable(session)
            if let stale, session.accessToken != stale,
                !session.accessTokenExpires(within: Self.refreshMargin, now: now())
            {
                return session
            }
            guard let refreshToken = session.refreshToken else {
                throw try markNeedsLogin(&session, "the session has no refresh token")
            }
            let key = try DPoPKey(privateJWK: session.dpopKey)
            var nonces = session.dpopNonces
            let request = TokenRequest.refresh(refreshToken: refreshToken, clientID: session.clientID)
            let response = try await DPoPSender(transport: transport, key: key, now: now).send(
                method: "POST", url: session.tokenEndpoint, nonces: &nonces
            ) { proof in
                request.httpRequest(endpoint: session.tokenEndpoint, dpopProof: proof)
            }
            session.dpopNonces = nonces
            if let error = OAuthErrorResponse.parse(response), error.error == "invalid_grant" {
                throw try markNeedsLogin(
                    &session,
                    "the authorization server refused the refresh token (\(error.errorDescription ?? "invalid_grant"))")
            }
            let token = try TokenResponse.parse(response).validate(
                requestedScope: session.scope.description, expectedSubject: session.did)
            session = session.applying(token, now: now())
            try storage.save(session)  // R24: the new token set is persisted before anything else

            if let issuerResolver {
                let (_, issuer) = try await issuerResolver.issuer(for: did)
                guard issuer.originString == URL(string: session.issuer)?.originString else {
                    _ = try? markNeedsLogin(&session, "")
                    throw ATProtoOAuthError(
                        .issuerChanged, rule: "R21", field: "issuer",
                        "\(did) is now served by \(issuer.absoluteString), not \(session.issuer); log in again")
                }
            }
            return session
        }
    }

    /// Sends a DPoP-authorised request to the account's PDS (R22, R23, R25): `Authorization:
    /// DPoP`, a proof with `ath`, the PDS nonce retried once, and on `invalid_token` one
    /// refresh and one retry. New nonces are persisted.
    public func send(
        _ did: DID, method: String, url: URL, headers: [(name: String, value: String)] = [], body: Data? = nil
    ) async throws -> HTTPResponse {
        var session = try await validSession(did)
        var attempt = 0
        while true {
            attempt += 1
            let key = try DPoPKey(privateJWK: session.dpopKey)
            var nonces = session.dpopNonces
            let token = session.accessToken
            let response = try await DPoPSender(transport: transport, key: key, now: now).send(
                method: method, url: url, accessToken: token, nonces: &nonces
            ) { proof in
                HTTPRequest(
                    method: method, url: url,
                    headers: [("Authorization", "DPoP \(token)"), ("DPoP", proof)] + headers, body: body)
            }
            if nonces != session.dpopNonces { try await persistNonces(did, nonces) }
            if attempt == 1, response.status == 401, DPoPNonce.resourceServerError(response) == "invalid_token" {
                session = try await refresh(did, replacing: token)
                continue
            }
            return response
        }
    }

    /// Revokes the session at the authorization server (R27, RFC 7009) with DPoP. Revoking the
    /// refresh token ends the whole grant; without one, the access token is revoked.
    public func revoke(_ did: DID) async throws {
        let session = try storage.load(did)
        guard let endpoint = session.revocationEndpoint else {
            throw ATProtoOAuthError(
                .invalidSession, rule: "R27", field: "revocation_endpoint",
                "\(session.issuer) publishes no revocation endpoint")
        }
        let key = try DPoPKey(privateJWK: session.dpopKey)
        var nonces = session.dpopNonces
        let request =
            session.refreshToken.map {
                RevocationRequest(token: $0, tokenTypeHint: "refresh_token", clientID: session.clientID)
            }
            ?? RevocationRequest(token: session.accessToken, tokenTypeHint: "access_token", clientID: session.clientID)
        let response = try await DPoPSender(transport: transport, key: key, now: now).send(
            method: "POST", url: endpoint, nonces: &nonces
        ) { proof in
            request.httpRequest(endpoint: endpoint, dpopProof: proof)
        }
        guard (200..<300).contains(response.status) else {
            let error = OAuthErrorResponse.parse(response)
            throw ATProtoOAuthError(
                .oauthError, rule: "R27", field: "revocation_endpoint",
                "revocation answered \(response.status)\(error.map { " \($0.error)" } ?? "")")
        }
    }

    private func persistNonces(_ did: DID, _ nonces: [String: String]) async throws {
        try await storage.withLock(did, timeout: lockTimeout) {
            var stored = try storage.load(did)
            stored.dpopNonces.merge(nonces) { _, new in new }
            try storage.save(stored)
        }
    }

    private func markNeedsLogin(_ session: inout Session, _ reason: String) throws -> ATProtoOAuthError {
        session.needsLogin = true
        try storage.save(session)
        return Self.needsLoginError(session, reason)
    }

    static func requireUsable(_ session: Session) throws {
        if session.needsLogin { throw needsLoginError(session, "the account is marked as needing a new login") }
    }

    static func needsLoginError(_ session: Session, _ reason: String) -> ATProtoOAuthError {
        let name = session.handle?.rawValue ?? session.did.rawValue
        return ATProtoOAuthError(
            .needsLogin, rule: "R24", field: name,
            "\(reason.isEmpty ? "" : reason + "; ")run `atproto-oauth login \(name)`")
    }
}
