import ATProtoDiscovery
import ATProtoOAuth
import Foundation

extension LoginFlow {
    /// Phase 1 of a login for an app that owns its redirect URI (a web server, an app with
    /// its own listener): discovery, a fresh DPoP key, PKCE and state, and the PAR request
    /// (R14–R17). Returns the URL to send the person's browser to, and what must be kept
    /// until the callback arrives — in an `AuthorizationStateStore`, found again by its
    /// `state` — to complete the login with ``complete(_:callback:save:progress:)``.
    ///
    /// The redirect URI is checked against the client identity first (R12, R13: see
    /// `configuration.client`), before any request leaves.
    ///
    /// - Parameter progress: every discovery step, then the `par` step, then the
    ///   authorization URL.
    public func authorize(
        _ input: LoginInput, redirectURI: String,
        progress: @escaping @Sendable (LoginEvent) -> Void = { _ in }
    ) async throws -> (authorizationURL: URL, pending: PendingAuthorization) {
        let clientID = try await LoginClient.clientID(
            forRedirectURI: redirectURI, client: configuration.client, transport: transport,
            scope: configuration.scope, allowHTTPLoopback: configuration.allowHTTPLoopback)
        let discovered = try await discover(input, progress: progress)
        let steps = StepReporter { progress(.step($0)) }
        steps.pending([LoginStepName.par.rawValue])
        let key = DPoPKey.generate()
        let pkce = PKCE()
        let pending = await prepare(
            discovered, server: try ServerEndpoints(discovered.authorizationServerMetadata), key: key, pkce: pkce,
            state: AuthorizationRequestState.randomState(),
            redirectURI: redirectURI, clientID: clientID)
        let (authorizationURL, pushed) = try await pushAuthorization(
            pending, key: key, codeChallenge: pkce.challenge, loginHint: input.loginHint, steps: steps)
        progress(.authorizationURL(authorizationURL))
        return (authorizationURL, pushed)
    }

    /// Discovery from what the person typed (R1–R9), its failures as `LoginError(.discovery)`.
    func discover(
        _ input: LoginInput, progress: @escaping @Sendable (LoginEvent) -> Void
    ) async throws -> DiscoveryResult {
        do {
            return try await discovery.discover(input) { progress(.step($0)) }
        } catch let error as DiscoveryError {
            throw LoginError(.discovery, step: error.step.rawValue, error.description, underlying: error)
        } catch {
            throw Self.wrap(error, as: .discovery)
        }
    }

    /// What the callback will need (R16): the discovered servers and account, this flow's
    /// key, verifier, state and client identity.
    func prepare(
        _ discovered: DiscoveryResult, server: ServerEndpoints, key: DPoPKey, pkce: PKCE, state: String,
        redirectURI: String, clientID: String
    ) async -> PendingAuthorization {
        // Only the authorization server's nonce: PAR and the token request go nowhere else.
        var nonces: [String: String] = [:]
        if let did = discovered.did, let origin = server.par.originString,
            let nonce = await configuration.knownNonces(did)[origin]
        {
            nonces[origin] = nonce
        }
        return PendingAuthorization(
            state: state, issuer: discovered.authorizationServerMetadata.issuer, tokenEndpoint: server.token,
            revocationEndpoint: server.revocation, pushedAuthorizationRequestEndpoint: server.par,
            authorizationEndpoint: server.authorization, dpopKey: key.privateJWK, pkceVerifier: pkce.verifier,
            redirectURI: redirectURI, clientID: clientID, scope: configuration.scope, expectedDID: discovered.did,
            expectedHandle: discovered.handleVerified ? discovered.handle : nil, expectedPDS: discovered.pds,
            dpopNonces: nonces, createdAt: now())
    }

    /// The `par` step (R14, R17): the pushed authorization request with a DPoP proof, then the
    /// authorization URL. The nonces learnt are kept in the returned pending authorization,
    /// so the token request needs no nonce retry (R23).
    func pushAuthorization(
        _ pending: PendingAuthorization, key: DPoPKey, codeChallenge: String, loginHint: String?,
        steps: StepReporter
    ) async throws -> (URL, PendingAuthorization) {
        var nonces = pending.dpopNonces
        let sender = DPoPSender(transport: transport, key: key, now: now)
        let endpoint = pending.pushedAuthorizationRequestEndpoint
        let par = PushedAuthorizationRequest(
            clientID: pending.clientID, redirectURI: pending.redirectURI, scope: pending.scope, state: pending.state,
            codeChallenge: codeChallenge, loginHint: loginHint)
        let requestURI = try await steps.run(LoginStepName.par.rawValue, target: endpoint.absoluteString) {
            do {
                let response = try await sender.send(method: "POST", url: endpoint, nonces: &nonces) { proof in
                    par.httpRequest(endpoint: endpoint, dpopProof: proof)
                }
                let parsed = try PushedAuthorizationResponse.parse(response)
                return (parsed.requestURI, "request_uri issued, expires in \(parsed.expiresIn ?? 0) s")
            } catch {
                throw Self.wrap(error, as: .par)
            }
        }
        var pushed = pending
        pushed.dpopNonces = nonces
        let url = AuthorizationURL.make(
            endpoint: pending.authorizationEndpoint, clientID: pending.clientID, requestURI: requestURI)
        return (url, pushed)
    }
}
