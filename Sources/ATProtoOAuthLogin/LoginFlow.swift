import ATProtoDiscovery
import ATProtoOAuth
import Foundation

/// One interactive login (R12–R21): discovery → fresh DPoP key, PKCE and state → loopback
/// listener → PAR with DPoP → browser → one callback → token request → token-response and
/// subject checks → save.
///
/// Nothing is stored until every check has passed, so a failed or denied login leaves an
/// existing session for the same account untouched.
public struct LoginFlow: Sendable {
    public let transport: any HTTPTransport
    public let discovery: Discovery
    public let configuration: LoginConfiguration
    private let now: @Sendable () -> Date

    public init(
        transport: any HTTPTransport, discovery: Discovery, configuration: LoginConfiguration,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.transport = transport
        self.discovery = discovery
        self.configuration = configuration
        self.now = now
    }

    /// Runs the flow.
    ///
    /// - Parameters:
    ///   - save: persists the verified session (the `save` step) and returns the session it
    ///     replaced, if any — read under the same lock as the write (`AccountStore.replace`).
    ///     After a successful save the superseded grant is revoked with its own DPoP key and
    ///     nonces (R27, best effort: the outcome is the `save` step's detail; it never fails
    ///     the login).
    ///   - progress: receives every discovery and login step as it changes.
    ///
    /// Every failure is a `LoginError` naming its step, whose `underlying` keeps the typed
    /// cause (the `DiscoveryError`, the transport's error, the `ATProtoOAuthError`, the store's
    /// error); only cancellation is rethrown as it is. When the token response or the subject
    /// check fails (R20, R21), the tokens received are revoked before the error is thrown (R27).
    public func run(
        _ input: LoginInput,
        save: @Sendable (Session) async throws -> Session?,
        progress: @escaping @Sendable (LoginEvent) -> Void = { _ in }
    ) async throws -> Session {
        let steps = StepReporter { progress(.step($0)) }
        let discovered: DiscoveryResult
        do {
            discovered = try await discovery.discover(input) { progress(.step($0)) }
        } catch let error as DiscoveryError {
            throw LoginError(.discovery, step: error.step.rawValue, error.description, underlying: error)
        } catch {
            throw Self.wrap(error, as: .discovery)
        }
        steps.pending(LoginStepName.allCases.map(\.rawValue))
        let server = try ServerEndpoints(discovered.authorizationServerMetadata)
        let client = try await resolveClient()

        let key = DPoPKey.generate()
        let pkce = PKCE()
        let state = AuthorizationRequestState.randomState()
        let issuer = discovered.authorizationServerMetadata.issuer

        let listener = LoopbackListener(port: client.listenPort, path: client.callbackPath)
        defer { Task { await listener.stop() } }
        let redirectURI = try await steps.run(LoginStepName.listener.rawValue) {
            let url = try await listener.start { query in
                Self.judge(query, expectedState: state, expectedIssuer: issuer)
            }
            return (url, "listening on \(url.absoluteString)")
        }
        progress(.listening(redirectURI))
        let clientID = client.clientID(redirectURI: redirectURI.absoluteString, scope: configuration.scope)

        var nonces: [String: String] = [:]
        let sender = DPoPSender(transport: transport, key: key, now: now)
        let par = PushedAuthorizationRequest(
            clientID: clientID, redirectURI: redirectURI.absoluteString, scope: configuration.scope, state: state,
            codeChallenge: pkce.challenge, loginHint: input.loginHint)
        let requestURI = try await steps.run(LoginStepName.par.rawValue, target: server.par.absoluteString) {
            do {
                let response = try await sender.send(method: "POST", url: server.par, nonces: &nonces) { proof in
                    par.httpRequest(endpoint: server.par, dpopProof: proof)
                }
                let parsed = try PushedAuthorizationResponse.parse(response)
                return (parsed.requestURI, "request_uri issued, expires in \(parsed.expiresIn ?? 0) s")
            } catch {
                throw Self.wrap(error, as: .par)
            }
        }

        let authorizationURL = AuthorizationURL.make(
            endpoint: server.authorization, clientID: clientID, requestURI: requestURI)
        progress(.authorizationURL(authorizationURL))
        try await steps.run(LoginStepName.browser.rawValue) {
            switch await configuration.openBrowser(authorizationURL) {
            case .launched(let command): ((), "opened with \(command)")
            case .notAvailable: ((), "no browser to start; open the URL shown")
            case .failed(let command, let reason): ((), "\(command) failed (\(reason)); open the URL shown")
            }
        }

        let code = try await steps.run(LoginStepName.callback.rawValue, target: redirectURI.absoluteString) {
            // Only a callback carrying this login's state ends the wait (the listener answers
            // others 400 and keeps listening), so a stray or forged request cannot end it.
            let query: LoopbackListener.Callback
            do {
                query = try await listener.waitForCallback(timeout: configuration.callbackTimeout)
            } catch {
                throw Self.wrap(error, as: .callback)
            }
            do {
                let code = try AuthorizationCallback(query: query).validate(
                    expectedState: state, expectedIssuer: issuer)
                return (code, "authorization code received; state and iss match (R18)")
            } catch let error as ATProtoOAuthError where error.code == .authorizationDenied {
                throw LoginError(.denied, error.reason, underlying: error)
            } catch {
                throw Self.wrap(error, as: .callback)
            }
        }
        // Stop listening now, but don't wait for the browser's kept-alive connection to close
        // (up to a second): the token exchange needs nothing from it.
        Task { await listener.stop() }

        /// R27: best effort, with this login's key and nonces; the outcome is told, never thrown.
        func revokeReceived(accessToken: String?, refreshToken: String?) async -> String {
            guard let accessToken = accessToken ?? refreshToken else { return "" }
            do {
                try await Revocation.send(
                    endpoint: server.revocation, accessToken: accessToken, refreshToken: refreshToken,
                    clientID: clientID, key: key, nonces: &nonces, transport: transport, now: now)
                return "; the tokens received were revoked (R27)"
            } catch {
                return "; revoking the tokens received failed (\(error)), they expire on their own (R26, R27)"
            }
        }

        // The access token's lifetime counts from when it was asked for, never from when the
        // answer arrived: a slow answer must not make us trust a token longer than it lives.
        let requestedAt = now()
        let token = try await steps.run(LoginStepName.token.rawValue, target: server.token.absoluteString) {
            let request = TokenRequest.authorizationCode(
                code: code, codeVerifier: pkce.verifier, redirectURI: redirectURI.absoluteString, clientID: clientID)
            let response: HTTPResponse
            do {
                response = try await sender.send(method: "POST", url: server.token, nonces: &nonces) { proof in
                    request.httpRequest(endpoint: server.token, dpopProof: proof)
                }
            } catch {
                throw Self.wrap(error, as: .token)
            }
            let parsed: TokenResponse
            do {
                parsed = try TokenResponse.parse(response)
            } catch {
                // A 200 whose body breaks R20 may still have issued a grant.
                let received = ReceivedTokens(response)
                let note = await revokeReceived(
                    accessToken: received?.accessToken, refreshToken: received?.refreshToken)
                throw LoginError(.token, "\(error)\(note)", underlying: error)
            }
            do {
                let validated = try parsed.validate(
                    requestedScope: configuration.scope, expectedSubject: discovered.did)
                return (validated, "DPoP-bound token for \(validated.sub), scope \(validated.scope)")
            } catch {
                let note = await revokeReceived(accessToken: parsed.accessToken, refreshToken: parsed.refreshToken)
                throw LoginError(.token, "\(error)\(note)", underlying: error)
            }
        }

        let account = try await steps.run(LoginStepName.verifySubject.rawValue) {
            do {
                return try await verifySubject(token.sub, discovered: discovered)
            } catch {
                let failure = Self.wrap(error, as: .subject)
                guard let failure = failure as? LoginError else { throw failure }
                let note = await revokeReceived(accessToken: token.accessToken, refreshToken: token.refreshToken)
                throw LoginError(
                    failure.code, step: failure.step, failure.reason + note, underlying: failure.underlying)
            }
        }

        let created = now()
        let session = Session(
            did: token.sub, handle: account.handle, pds: account.pds, issuer: issuer,
            tokenEndpoint: server.token, revocationEndpoint: server.revocation,
            pushedAuthorizationRequestEndpoint: server.par, authorizationEndpoint: server.authorization,
            clientID: clientID, redirectURI: redirectURI.absoluteString, scope: token.scope,
            accessToken: token.accessToken, refreshToken: token.refreshToken,
            expiresAt: requestedAt.addingTimeInterval(
                token.expiresIn.map(TimeInterval.init) ?? Session.assumedAccessTokenLifetime), dpopKey: key.privateJWK,
            dpopNonces: nonces,
            createdAt: created, refreshedAt: nil)
        try await steps.run(LoginStepName.save.rawValue) {
            let previous: Session?
            do {
                previous = try await save(session)
            } catch {
                throw Self.wrap(error, as: .save)
            }
            let saved = "session for \(session.handle?.rawValue ?? session.did.rawValue) saved"
            guard let previous else { return ((), saved) }
            return ((), saved + "; " + (await revokeSuperseded(previous)))
        }
        return session
    }

    /// R27: the grant of the session a login replaced is revoked after the new one is saved,
    /// with the old session's own DPoP key and nonces. Best effort: returns what happened.
    private func revokeSuperseded(_ previous: Session) async -> String {
        var nonces = previous.dpopNonces
        do {
            try await Revocation.send(previous, nonces: &nonces, transport: transport, now: now)
            return "the superseded session's grant was revoked (R27)"
        } catch {
            return "revoking the superseded session's grant failed (\(error)); it expires on its own (R26, R27)"
        }
    }

    /// R18, for the listener: a callback without this login's `state` is not this login's
    /// (ignored, the wait goes on); one with it is accepted or refused by the full check. A
    /// matching state with a wrong or missing `iss` is refused and ends the login: the state is
    /// single-use (R16) and RFC 9207 §2.4 says such a response must be rejected, never retried
    /// — it is what an authorization-server mix-up looks like.
    static func judge(
        _ query: LoopbackListener.Callback, expectedState: String, expectedIssuer: String
    ) -> LoopbackListener.Verdict {
        let callback = AuthorizationCallback(query: query)
        guard callback.answers(expectedState: expectedState) else {
            return .ignore("it does not carry the state of the login in progress (R18)")
        }
        do {
            _ = try callback.validate(expectedState: expectedState, expectedIssuer: expectedIssuer)
            return .accept
        } catch {
            return .refuse("\(error)")
        }
    }

    /// A `LoginError` of `code`'s step keeping `error` as its cause; cancellation and errors
    /// that are already `LoginError`s pass through unchanged.
    static func wrap(_ error: any Error, as code: LoginError.Code) -> any Error {
        if error is CancellationError { return error }
        return LoginError.wrapping(error, as: code)
    }

    /// R21: the token's subject must be the account discovery found; when the flow started at a
    /// server URL there was no account yet, so resolve `sub` and require the same issuer.
    private func verifySubject(
        _ subject: DID, discovered: DiscoveryResult
    ) async throws -> ((handle: Handle?, pds: URL), String) {
        if let did = discovered.did {
            guard did == subject else {
                throw LoginError(.subject, "token sub \(subject) is not \(did), the account discovered (R21)")
            }
            return ((discovered.handleVerified ? discovered.handle : nil, discovered.pds), "sub equals \(did) (R21)")
        }
        let resolved: DiscoveryResult
        do {
            resolved = try await discovery.discover(.did(subject))
        } catch {
            throw LoginError(.subject, "cannot resolve token sub \(subject): \(error) (R21)", underlying: error)
        }
        guard resolved.issuer.originString == discovered.issuer.originString else {
            throw LoginError(
                .subject,
                "\(subject)'s authorization server is \(resolved.issuer.absoluteString), not \(discovered.issuer.absoluteString) (R21)"
            )
        }
        return (
            (resolved.handleVerified ? resolved.handle : nil, resolved.pds),
            "\(subject) resolves to issuer \(resolved.issuer.absoluteString) (R21)"
        )
    }

    private func resolveClient() async throws -> LoginClient {
        switch configuration.client {
        case .development:
            return LoginClient(hosted: nil, listenPort: configuration.port, callbackPath: "/callback")
        case .hosted(let url):
            return try await LoginClient.fetchHosted(
                url, transport: transport, scope: configuration.scope, fallbackPort: configuration.port,
                allowHTTPLoopback: configuration.allowHTTPLoopback)
        }
    }

}

/// Whatever tokens a 200 token response holds, read leniently: a response that broke R20 may
/// still have issued a grant, which R27 says to revoke.
private struct ReceivedTokens: Decodable {
    let accessToken: String?
    let refreshToken: String?

    enum CodingKeys: String, CodingKey {
        case accessToken = "access_token"
        case refreshToken = "refresh_token"
    }

    init?(_ response: HTTPResponse) {
        guard response.status == 200, let tokens = try? JSONDecoder().decode(Self.self, from: response.body) else {
            return nil
        }
        self = tokens
    }
}

extension LoginInput {
    /// R7: `login_hint` is exactly what the user typed — for handles and DIDs; a server URL
    /// names no account.
    var loginHint: String? {
        switch self {
        case .handle, .did: typed
        case .serverURL: nil
        }
    }
}
