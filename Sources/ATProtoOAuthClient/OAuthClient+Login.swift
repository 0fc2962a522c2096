import ATProtoDiscovery
import ATProtoOAuth
import ATProtoOAuthLogin
import Foundation

extension OAuthClient {
    /// Logs an account in through the browser and a loopback listener (RFC 8252): discovery
    /// from what the person typed (a handle, a DID or a server URL, R1), a fresh DPoP key,
    /// PKCE and state, PAR, the browser, one callback, the token exchange and every check on
    /// it (R12–R21), then saves the session.
    ///
    /// A login for an account already stored replaces it only once the new session passed
    /// every check, then revokes the superseded grant (R27); the account becomes the store's
    /// default when ``OAuthClientConfiguration/makeLoginDefault`` is set.
    ///
    /// - Parameters:
    ///   - input: what the person typed: a handle, a DID or a PDS/entryway URL (R1).
    ///   - options: the listener's port, the callback timeout, how the browser opens, and
    ///     callbacks the person may paste instead (over SSH).
    ///   - progress: every discovery and login step as it changes, the listener's
    ///     address and the authorization URL (always worth showing: the browser may not start).
    public func login(
        _ input: String, options: LoopbackLoginOptions = LoopbackLoginOptions(),
        progress: @escaping @Sendable (LoginEvent) -> Void = { _ in }
    ) async throws -> Session {
        let parsed = try loginInput(input)
        let flow = LoginFlow(
            transport: transport, discovery: discovery,
            configuration: LoginConfiguration(
                client: configuration.client, scope: configuration.scope, port: options.port,
                callbackTimeout: options.callbackTimeout, allowHTTPLoopback: configuration.allowHTTPLoopback,
                openBrowser: options.openBrowser, knownNonces: knownNonces),
            now: now)
        let session = try await flow.run(
            parsed, pasted: options.pastedCallbacks, save: { try await self.saveLogin($0) }, progress: progress)
        broadcaster.publish(.updated(session))
        return session
    }

    /// Saves a verified login under the account's lock and returns the session it replaced
    /// (read inside the same lock), so the login can revoke that grant (R27); then makes the
    /// account the default when the store keeps one and the configuration asks for it.
    func saveLogin(_ session: Session) async throws -> Session? {
        let previous = try await store.withLock(session.did, timeout: configuration.lockTimeout) {
            let previous = try? await store.load(session.did)
            try await store.save(session)
            return previous
        }
        if configuration.makeLoginDefault, let store = store as? any DefaultAccountStore {
            try await store.setDefault(session.did)
        }
        return previous
    }
}
