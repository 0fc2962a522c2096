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

    /// Runs the flow. `save` persists the verified session (the `save` step); `progress`
    /// receives every discovery and login step as it changes.
    public func run(
        _ input: LoginInput,
        save: @Sendable (Session) async throws -> Void,
        progress: @escaping @Sendable (LoginEvent) -> Void = { _ in }
    ) async throws -> Session {
        let steps = StepReporter { progress(.step($0)) }
        let discovered: DiscoveryResult
        do {
            discovered = try await discovery.discover(input) { progress(.step($0)) }
        } catch let error as DiscoveryError {
            throw LoginError(.discovery, step: error.step.rawValue, error.description)
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
                do {
                    _ = try AuthorizationCallback(query: query).validate(expectedState: state, expectedIssuer: issuer)
                    return nil
                } catch {
                    return "\(error)"
                }
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
            let response = try await sender.send(method: "POST", url: server.par, nonces: &nonces) { proof in
                par.httpRequest(endpoint: server.par, dpopProof: proof)
            }
            do {
                let parsed = try PushedAuthorizationResponse.parse(response)
                return (parsed.requestURI, "request_uri issued, expires in \(parsed.expiresIn ?? 0) s")
            } catch {
                throw LoginError(.par, "\(error)")
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
            let query = try await listener.waitForCallback(timeout: configuration.callbackTimeout)
            do {
                let code = try AuthorizationCallback(query: query).validate(
                    expectedState: state, expectedIssuer: issuer)
                return (code, "authorization code received; state and iss match (R18)")
            } catch let error as ATProtoOAuthError where error.code == .authorizationDenied {
                throw LoginError(.denied, error.reason)
            } catch {
                throw LoginError(.callback, "\(error)")
            }
        }
        // Stop listening now, but don't wait for the browser's kept-alive connection to close
        // (up to a second): the token exchange needs nothing from it.
        Task { await listener.stop() }

        let token = try await steps.run(LoginStepName.token.rawValue, target: server.token.absoluteString) {
            let request = TokenRequest.authorizationCode(
                code: code, codeVerifier: pkce.verifier, redirectURI: redirectURI.absoluteString, clientID: clientID)
            let response = try await sender.send(method: "POST", url: server.token, nonces: &nonces) { proof in
                request.httpRequest(endpoint: server.token, dpopProof: proof)
            }
            do {
                let validated = try TokenResponse.parse(response).validate(
                    requestedScope: configuration.scope, expectedSubject: discovered.did)
                return (validated, "DPoP-bound token for \(validated.sub), scope \(validated.scope)")
            } catch {
                throw LoginError(.token, "\(error)")
            }
        }

        let account = try await steps.run(LoginStepName.verifySubject.rawValue) {
            try await verifySubject(token.sub, discovered: discovered)
        }

        let created = now()
        let session = Session(
            did: token.sub, handle: account.handle, pds: account.pds, issuer: issuer,
            tokenEndpoint: server.token, revocationEndpoint: server.revocation,
            pushedAuthorizationRequestEndpoint: server.par, authorizationEndpoint: server.authorization,
            clientID: clientID, redirectURI: redirectURI.absoluteString, scope: token.scope,
            accessToken: token.accessToken, refreshToken: token.refreshToken,
            expiresAt: created.addingTimeInterval(
                token.expiresIn.map(TimeInterval.init) ?? Session.assumedAccessTokenLifetime), dpopKey: key.privateJWK,
            dpopNonces: nonces,
            createdAt: created, refreshedAt: nil)
        try await steps.run(LoginStepName.save.rawValue) {
            do {
                try await save(session)
            } catch {
                throw LoginError(.save, "\(error)")
            }
            return ((), "session for \(session.handle?.rawValue ?? session.did.rawValue) saved")
        }
        return session
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
            throw LoginError(.subject, "cannot resolve token sub \(subject): \(error) (R21)")
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
