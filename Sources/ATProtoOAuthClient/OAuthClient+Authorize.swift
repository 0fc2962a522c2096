import ATProtoDiscovery
import ATProtoOAuth
import ATProtoOAuthLogin
import Foundation

extension OAuthClient {
    /// Starts a login for an app that owns its redirect URI — a web server, an app with its
    /// own callback handler — where ``login(_:options:progress:)``'s loopback listener does
    /// not fit: discovery from what the person typed (R1), a fresh DPoP key, PKCE and state,
    /// and the PAR request (R14–R17). Returns the URL to send the person's browser to; when
    /// the browser comes back to `redirectURI`, pass what it brought to
    /// ``callback(url:progress:)`` or ``callback(_:progress:)``.
    ///
    /// What the callback will need is kept in ``stateStore`` under the request's `state`, never
    /// inside it (R16), so the callback may be handled by another process when the store is
    /// shared.
    ///
    /// ```swift
    /// let url = try await client.authorize("alice.bsky.social", redirectURI: "https://app.example/callback")
    /// // …redirect the browser to `url`; later, in the handler of /callback:
    /// let session = try await client.callback(url: requestURL)
    /// ```
    ///
    /// - Parameters:
    ///   - input: what the person typed: a handle, a DID or a PDS/entryway URL (R1).
    ///   - redirectURI: where the authorization server sends the browser back. It must be one
    ///     the client identity allows (R12): for the development client an
    ///     `http://127.0.0.1[:port]/path` or `http://[::1][:port]/path` URI; for a hosted client
    ///     one its document's `redirect_uris` lists (a loopback one registered without port
    ///     matches any port; a `web` client's must be https). Checked before any request.
    ///   - progress: every discovery step, the `par` step and the authorization URL.
    /// - Throws: `LoginError`: `.clientMetadata` for a redirect URI the client may not use,
    ///   `.discovery`, `.par`; `.save` when the state store fails.
    public func authorize(
        _ input: String, redirectURI: String, progress: @escaping @Sendable (LoginEvent) -> Void = { _ in }
    ) async throws -> URL {
        let parsed = try loginInput(input)
        let (url, pending) = try await flow().authorize(parsed, redirectURI: redirectURI, progress: progress)
        do {
            try await stateStore.save(pending)
        } catch {
            throw LoginError(.save, "cannot keep the pending authorization (R16): \(error)", underlying: error)
        }
        return url
    }

    /// Completes a login started with ``authorize(_:redirectURI:progress:)`` from the full URL
    /// the browser was redirected to (its query carries `state`, `iss` and `code` or `error`).
    /// See ``callback(_:progress:)``.
    public func callback(
        url: URL, progress: @escaping @Sendable (LoginEvent) -> Void = { _ in }
    ) async throws -> Session {
        try await callback(FormEncoding.decode(url.query(percentEncoded: true) ?? ""), progress: progress)
    }

    /// Completes a login started with ``authorize(_:redirectURI:progress:)``: takes the pending
    /// authorization its `state` names out of ``stateStore`` — single use (R16), so a replayed
    /// or second callback finds nothing —, checks the callback (R18: `state`, `iss`, then
    /// `error`, then `code`), exchanges the code (R19), checks the token and its subject (R20,
    /// R21, revoking what was received when they fail, R27), and saves the session the way
    /// ``login(_:options:progress:)`` does: under the account's lock, as the default account
    /// when so configured, revoking the grant it supersedes (R27). Publishes `.updated`.
    ///
    /// - Parameters:
    ///   - query: the callback's query items, in order, decoded.
    ///   - progress: the `token`, `verify-subject` and `save` steps as they change.
    /// - Throws: `LoginError`: `.callback` for an unknown, used or expired state or a callback
    ///   failing R18, `.denied` when the person or the server refused, `.token`, `.subject`,
    ///   `.save`. Nothing is stored when it throws.
    public func callback(
        _ query: [(String, String)], progress: @escaping @Sendable (LoginEvent) -> Void = { _ in }
    ) async throws -> Session {
        let states = query.filter { $0.0 == "state" }
        guard states.count == 1, let state = states.first?.1, !state.isEmpty else {
            let cause = ATProtoOAuthError(
                .invalidCallback, rule: "R18", field: "state",
                states.isEmpty ? "state is missing" : "parameter state appears more than once")
            throw LoginError(.callback, cause.description, underlying: cause)
        }
        let taken: PendingAuthorization?
        do {
            taken = try await stateStore.take(state: state)
        } catch {
            throw LoginError(.callback, "cannot read the pending authorization (R16): \(error)", underlying: error)
        }
        // The store must not return expired entries; this clock decides too, so a store that
        // forgets cannot revive an abandoned authorization.
        guard let pending = taken, !pending.isExpired(at: now()) else {
            let cause = ATProtoOAuthError(
                .invalidCallback, rule: "R18", field: "state",
                "state matches no pending authorization: unknown, already used or expired (R16)")
            throw LoginError(.callback, cause.description, underlying: cause)
        }
        let session = try await flow().complete(
            pending, callback: query, save: { try await self.saveLogin($0) }, progress: progress)
        broadcaster.publish(.updated(session))
        return session
    }

    /// R1: what the person typed, its failure as the `LoginError` a login throws.
    func loginInput(_ typed: String) throws -> LoginInput {
        do {
            return try input(typed)
        } catch let error as DiscoveryError {
            throw LoginError(.discovery, step: error.step.rawValue, error.description, underlying: error)
        }
    }

    /// The login flow for this client's identity and scope (the loopback options unused).
    private func flow() -> LoginFlow {
        LoginFlow(
            transport: transport, discovery: discovery,
            configuration: LoginConfiguration(
                client: configuration.client, scope: configuration.scope,
                allowHTTPLoopback: configuration.allowHTTPLoopback, knownNonces: knownNonces),
            now: now)
    }

    /// A re-login starts with the nonces the account's stored session learnt (R23): its PAR
    /// then needs no `use_dpop_nonce` retry.
    var knownNonces: @Sendable (DID) async -> [String: String] {
        { [store] did in (try? await store.load(did))?.dpopNonces ?? [:] }
    }
}
