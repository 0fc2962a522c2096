import Foundation

/// Keeps stored sessions alive and uses them (R21–R27).
///
/// - Refreshes when the access token has under `refreshMargin` left, or once after a
///   resource server says `invalid_token` (R25).
/// - Serialises every refresh of an account through `SessionStore.withLock` and re-reads
///   the stored session inside the lock: another thread or process may have refreshed
///   already, and reusing its spent refresh token would get the session revoked (R24).
/// - Persists the new token set and nonces before returning; on `invalid_grant` marks the
///   account `needsLogin` (the file is kept, never silently deleted).
public struct SessionAgent: Sendable {
    /// Refresh when fewer than this many seconds of access-token life remain.
    public static let refreshMargin: TimeInterval = 60

    public let transport: any HTTPTransport
    public let store: any SessionStore
    public let issuerResolver: (any IssuerResolving)?
    public let lockTimeout: Duration
    private let now: @Sendable () -> Date
    private let onEvent: @Sendable (SessionEvent) -> Void

    /// - Parameters:
    ///   - issuerResolver: resolves the DID afresh before each refresh (R21); `nil` skips the
    ///     re-check (only for stores whose accounts cannot move, e.g. benchmarks).
    ///   - onEvent: told of every refresh saved and every session found to need a login.
    public init(
        transport: any HTTPTransport, store: any SessionStore, issuerResolver: (any IssuerResolving)?,
        lockTimeout: Duration = .seconds(30), now: @escaping @Sendable () -> Date = { Date() },
        onEvent: @escaping @Sendable (SessionEvent) -> Void = { _ in }
    ) {
        self.transport = transport
        self.store = store
        self.issuerResolver = issuerResolver
        self.lockTimeout = lockTimeout
        self.now = now
        self.onEvent = onEvent
    }

    /// The account's session with at least `refreshMargin` of access-token life, refreshing
    /// first if needed.
    public func validSession(_ did: DID) async throws -> Session {
        let session = try await store.load(did)
        try Self.requireUsable(session)
        guard session.accessTokenExpires(within: Self.refreshMargin, now: now()) else { return session }
        return try await refresh(did, replacing: session.accessToken)
    }

    /// Refreshes the account's tokens.
    ///
    /// Inside the lock and before the single-use refresh token is spent, the DID is resolved
    /// afresh (R21): an issuer that no longer speaks for the account means a new login, and
    /// the refresh token is kept unspent; a PDS the account moved to under the same issuer is
    /// adopted with the new tokens. The new access token's expiry counts from when the request
    /// was sent, never from when the answer arrived.
    ///
    /// - Parameter stale: the access token the caller found wanting. If the stored session
    ///   already holds a different one, another process refreshed meanwhile and that session
    ///   is returned without spending the refresh token again. `nil` forces a refresh.
    public func refresh(_ did: DID, replacing stale: String?) async throws -> Session {
        // A first look without the lock: when another process has already replaced the stale
        // token, its session is taken as it is, at the cost of one read rather than a lock.
        if let stale, let current = try? await store.load(did), current.accessToken != stale,
            !current.needsLogin, !current.accessTokenExpires(within: Self.refreshMargin, now: now())
        {
            return current
        }
        return try await store.withLock(did, timeout: lockTimeout) {
            var session = try await store.load(did)
            try Self.requireUsable(session)
            if let stale, session.accessToken != stale,
                !session.accessTokenExpires(within: Self.refreshMargin, now: now())
            {
                return session
            }
            guard let refreshToken = session.refreshToken else {
                throw try await markNeedsLogin(&session, "the session has no refresh token")
            }
            let pds = try await currentPDS(of: &session)
            let key = try DPoPKey(privateJWK: session.dpopKey)
            let nonces = session.dpopNonces
            let request = TokenRequest.refresh(refreshToken: refreshToken, clientID: session.clientID)
            let loaded = session
            // From just before the request is sent until the save returned: a shutdown waits
            // for this (signals, a TUI quitting), and cancelling the caller cannot abort it (R24).
            let saved = try await CriticalSection.run {
                try await spendRefreshToken(loaded, request: request, key: key, pds: pds, nonces: nonces)
            }
            onEvent(.updated(saved))
            return saved
        }
    }

    /// Sends the refresh request and saves its answer. Between the answer and the save only
    /// parsing and checking happen: nothing slow, nothing else persisted first (R24).
    private func spendRefreshToken(
        _ loaded: Session, request: TokenRequest, key: DPoPKey, pds: URL, nonces: [String: String]
    ) async throws -> Session {
        var session = loaded
        var nonces = nonces
        let sentAt = now()
        let response = try await DPoPSender(transport: transport, key: key, now: now).send(
            method: "POST", url: session.tokenEndpoint, nonces: &nonces
        ) { proof in
            request.httpRequest(endpoint: session.tokenEndpoint, dpopProof: proof)
        }
        session.dpopNonces = nonces
        if let error = OAuthErrorResponse.parse(response), error.error == "invalid_grant" {
            throw try await markNeedsLogin(
                &session,
                "the authorization server refused the refresh token (\(error.errorDescription ?? "invalid_grant"))")
        }
        let token = try TokenResponse.parse(response).validate(
            requestedScope: session.scope.description, expectedSubject: session.did)
        session = session.applying(token, now: sentAt)
        session.pds = pds
        try await store.save(session)  // R24: the new token set is persisted before anything else
        return session
    }

    /// R21, before a refresh token is spent: the PDS now serving the account, after checking
    /// that the session's issuer still speaks for it. A changed issuer marks the session as
    /// needing a login (saved) and throws `.issuerChanged`. Without a resolver, the stored PDS.
    private func currentPDS(of session: inout Session) async throws -> URL {
        guard let issuerResolver else { return session.pds }
        let current = try await issuerResolver.currentServers(for: session.did, likelyPDS: session.pds)
        guard current.issuer.originString == URL(string: session.issuer)?.originString else {
            let reason =
                "\(session.did) is now served by \(current.issuer.absoluteString), not \(session.issuer); "
                + "the refresh token was not used; log in again"
            _ = try? await markNeedsLogin(&session, reason)
            throw ATProtoOAuthError(.issuerChanged, rule: "R21", field: "issuer", reason)
        }
        return current.pds
    }

    /// Sends a DPoP-authorised request to the account's PDS (R22, R23, R25): `Authorization:
    /// DPoP`, a proof with `ath`, the PDS nonce retried once, and on `invalid_token` one
    /// refresh and one retry. New nonces are persisted (best effort).
    ///
    /// The URL is built from the session's PDS at each attempt, so a request that follows a
    /// refresh which adopted a moved PDS (R21) goes to the new host.
    ///
    /// - Parameters:
    ///   - path: the path on the PDS, e.g. `/xrpc/com.atproto.server.getSession`.
    ///   - query: query items, in order; repeated names are kept.
    public func send(
        _ did: DID, method: String, path: String, query: [(String, String)] = [],
        headers: [(name: String, value: String)] = [], body: Data? = nil
    ) async throws -> HTTPResponse {
        try await send(did, method: method, headers: headers, body: body) { pds in
            try Self.url(pds: pds, path: path, query: query)
        }
    }

    /// Sends a DPoP-authorised request to a fixed `url` (R22, R23, R25); see
    /// ``send(_:method:path:query:headers:body:)``, which follows a moved PDS.
    public func send(
        _ did: DID, method: String, url: URL, headers: [(name: String, value: String)] = [], body: Data? = nil
    ) async throws -> HTTPResponse {
        try await send(did, method: method, headers: headers, body: body) { _ in url }
    }

    private func send(
        _ did: DID, method: String, headers: [(name: String, value: String)], body: Data?,
        url makeURL: (URL) throws -> URL
    ) async throws -> HTTPResponse {
        var session = try await validSession(did)
        var attempt = 0
        while true {
            attempt += 1
            let url = try makeURL(session.pds)
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
            if nonces != session.dpopNonces { await persistNonces(did, nonces) }
            if attempt == 1, response.status == 401, DPoPNonce.resourceServerError(response) == "invalid_token" {
                session = try await refresh(did, replacing: token)
                continue
            }
            return response
        }
    }

    /// `<pds><path>?<query>`, the query form-encoded in order (repeated names kept).
    static func url(pds: URL, path: String, query: [(String, String)]) throws -> URL {
        var base = pds.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        let suffix = query.isEmpty ? "" : "?" + FormEncoding.encode(query)
        guard path.hasPrefix("/"), let url = URL(string: base + path + suffix) else {
            throw ATProtoOAuthError(
                .invalidSession, rule: "R22", field: "path",
                "cannot form a request URL from the PDS \(pds.absoluteString) and the path \(path)")
        }
        return url
    }

    /// Revokes the session at the authorization server (R27, RFC 7009) with DPoP. Revoking the
    /// refresh token ends the whole grant; without one, the access token is revoked.
    public func revoke(_ did: DID) async throws {
        let session = try await store.load(did)
        try Self.requireNotMoving(session)
        var nonces = session.dpopNonces
        try await Revocation.send(session, nonces: &nonces, transport: transport, now: now)
    }

    /// Saves nonces learnt from a response. Best effort (R23): a nonce only saves a round
    /// trip next time, and turning a request that succeeded into an error because the store
    /// was busy or full would make a caller re-send a POST that already took effect.
    private func persistNonces(_ did: DID, _ nonces: [String: String]) async {
        _ = try? await store.withLock(did, timeout: lockTimeout) {
            var stored = try await store.load(did)
            stored.dpopNonces.merge(nonces) { _, new in new }
            try await store.save(stored)
        }
    }

    private func markNeedsLogin(_ session: inout Session, _ reason: String) async throws -> ATProtoOAuthError {
        session.needsLogin = true
        try await store.save(session)
        onEvent(.needsLogin(session.did, reason: reason))
        return Self.needsLoginError(session, reason)
    }

    static func requireUsable(_ session: Session) throws {
        try requireNotMoving(session)
        if session.needsLogin { throw needsLoginError(session, "the account is marked as needing a new login") }
    }

    /// A copy marked by an interrupted move is neither used nor revoked: revoking it would end
    /// the session the destination may already hold.
    static func requireNotMoving(_ session: Session) throws {
        if let destination = session.movingTo {
            let name = session.handle?.rawValue ?? session.did.rawValue
            throw ATProtoOAuthError(
                .accountMoving, rule: "R24", field: name,
                "an interrupted `store move` to \(destination) left this copy marked; it is not used so that the "
                    + "session is never live in two stores: run `atproto-oauth store move --to <that store>` again "
                    + "to finish the move")
        }
    }

    static func needsLoginError(_ session: Session, _ reason: String) -> ATProtoOAuthError {
        let name = session.handle?.rawValue ?? session.did.rawValue
        return ATProtoOAuthError(
            .needsLogin, rule: "R24", field: name,
            "\(reason.isEmpty ? "" : reason + "; ")run `atproto-oauth login \(name)`")
    }
}
