import ATProtoDiscovery
import ATProtoOAuth
import Foundation

extension LoginFlow {
    /// Phase 2 of a login for an app that owns its redirect URI: checks the callback's query
    /// against what phase 1 kept (R18: `state`, `iss`, then `error`, then `code`), exchanges
    /// the code with this flow's DPoP key, verifier and nonces (R19), checks the token response
    /// and its subject (R20, R21), then saves the session.
    ///
    /// `pending` must come from ``authorize(_:redirectURI:progress:)`` and must have been
    /// taken from its store — single use (R16) — before this is called: a callback that
    /// fails here cannot be retried with the same state.
    ///
    /// - Parameters:
    ///   - save: as in ``run(_:pasted:save:progress:)``: persists the verified session and returns
    ///     the one it replaced, whose grant is then revoked (R27, best effort).
    ///   - progress: the `callback`, `token`, `verify-subject` and `save` steps.
    ///
    /// Failures are `LoginError`s naming their step; a denial is `.denied`. When the token
    /// response or the subject check fails, the tokens received are revoked first (R27).
    public func complete(
        _ pending: PendingAuthorization, callback query: [(String, String)],
        save: @Sendable (Session) async throws -> Session?,
        progress: @escaping @Sendable (LoginEvent) -> Void = { _ in }
    ) async throws -> Session {
        let steps = StepReporter { progress(.step($0)) }
        steps.pending([LoginStepName.callback, .token, .verifySubject, .save].map(\.rawValue))
        let code = try await steps.run(LoginStepName.callback.rawValue, target: pending.redirectURI) {
            try Self.accept(query, pending: pending)
        }
        let key: DPoPKey
        do {
            key = try DPoPKey(privateJWK: pending.dpopKey)
        } catch {
            let failure = LoginError(
                .token, "the pending authorization's DPoP key is unusable: \(error)", underlying: error)
            steps.publish(FlowStep(name: LoginStepName.token.rawValue, status: .failed, detail: failure.reason))
            throw failure
        }
        return try await exchange(code: code, pending: pending, key: key, steps: steps, save: save)
    }

    /// R18 on a callback's query: the authorization code and the `callback` step's detail. A
    /// denial is `LoginError(.denied)`; every other refusal `LoginError(.callback)`.
    static func accept(_ query: [(String, String)], pending: PendingAuthorization) throws -> (String, String) {
        do {
            let code = try AuthorizationCallback(query: query).validate(
                expectedState: pending.state, expectedIssuer: pending.issuer)
            return (code, "authorization code received; state and iss match (R18)")
        } catch let error as ATProtoOAuthError where error.code == .authorizationDenied {
            throw LoginError(.denied, error.reason, underlying: error)
        } catch {
            throw Self.wrap(error, as: .callback)
        }
    }

    /// The `token`, `verify-subject` and `save` steps, shared by the loopback login and
    /// ``complete(_:callback:save:progress:)``.
    func exchange(
        code: String, pending: PendingAuthorization, key: DPoPKey, steps: StepReporter,
        save: @Sendable (Session) async throws -> Session?
    ) async throws -> Session {
        var nonces = pending.dpopNonces
        let sender = DPoPSender(transport: transport, key: key, now: now)
        let server = pending.tokenEndpoint

        /// R27: best effort, with this login's key and nonces; the outcome is told, never thrown.
        func revokeReceived(accessToken: String?, refreshToken: String?) async -> String {
            guard let accessToken = accessToken ?? refreshToken else { return "" }
            do {
                try await Revocation.send(
                    endpoint: pending.revocationEndpoint, accessToken: accessToken, refreshToken: refreshToken,
                    clientID: pending.clientID, key: key, nonces: &nonces, transport: transport, now: now)
                return "; the tokens received were revoked (R27)"
            } catch {
                return "; revoking the tokens received failed (\(error)), they expire on their own (R26, R27)"
            }
        }

        // The access token's lifetime counts from when it was asked for, never from when the
        // answer arrived: a slow answer must not make us trust a token longer than it lives.
        let requestedAt = now()
        let token = try await steps.run(LoginStepName.token.rawValue, target: server.absoluteString) {
            let request = TokenRequest.authorizationCode(
                code: code, codeVerifier: pending.pkceVerifier, redirectURI: pending.redirectURI,
                clientID: pending.clientID)
            let response: HTTPResponse
            do {
                response = try await sender.send(method: "POST", url: server, nonces: &nonces) { proof in
                    request.httpRequest(endpoint: server, dpopProof: proof)
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
                let validated = try parsed.validate(requestedScope: pending.scope, expectedSubject: pending.expectedDID)
                return (validated, "DPoP-bound token for \(validated.sub), scope \(validated.scope)")
            } catch {
                let note = await revokeReceived(accessToken: parsed.accessToken, refreshToken: parsed.refreshToken)
                throw LoginError(.token, "\(error)\(note)", underlying: error)
            }
        }

        let account = try await steps.run(LoginStepName.verifySubject.rawValue) {
            do {
                return try await verifySubject(token.sub, pending: pending)
            } catch {
                let failure = Self.wrap(error, as: .subject)
                guard let failure = failure as? LoginError else { throw failure }
                let note = await revokeReceived(accessToken: token.accessToken, refreshToken: token.refreshToken)
                throw LoginError(
                    failure.code, step: failure.step, failure.reason + note, underlying: failure.underlying)
            }
        }

        let session = Session(
            did: token.sub, handle: account.handle, pds: account.pds, issuer: pending.issuer,
            tokenEndpoint: pending.tokenEndpoint, revocationEndpoint: pending.revocationEndpoint,
            pushedAuthorizationRequestEndpoint: pending.pushedAuthorizationRequestEndpoint,
            authorizationEndpoint: pending.authorizationEndpoint, clientID: pending.clientID,
            redirectURI: pending.redirectURI, scope: token.scope, accessToken: token.accessToken,
            refreshToken: token.refreshToken,
            expiresAt: requestedAt.addingTimeInterval(
                token.expiresIn.map(TimeInterval.init) ?? Session.assumedAccessTokenLifetime),
            dpopKey: pending.dpopKey, dpopNonces: nonces, createdAt: now(), refreshedAt: nil)
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

    /// R21: the token's subject must be the account discovery found; when the flow started at a
    /// server URL there was no account yet, so resolve `sub` and require the same issuer.
    private func verifySubject(
        _ subject: DID, pending: PendingAuthorization
    ) async throws -> ((handle: Handle?, pds: URL), String) {
        if let did = pending.expectedDID {
            guard did == subject else {
                throw LoginError(.subject, "token sub \(subject) is not \(did), the account discovered (R21)")
            }
            return ((pending.expectedHandle, pending.expectedPDS), "sub equals \(did) (R21)")
        }
        let resolved: DiscoveryResult
        do {
            resolved = try await discovery.discover(.did(subject))
        } catch {
            throw LoginError(.subject, "cannot resolve token sub \(subject): \(error) (R21)", underlying: error)
        }
        guard let expected = URL(string: pending.issuer)?.originString,
            resolved.issuer.originString == expected
        else {
            throw LoginError(
                .subject,
                "\(subject)'s authorization server is \(resolved.issuer.absoluteString), not \(pending.issuer) (R21)")
        }
        return (
            (resolved.handleVerified ? resolved.handle : nil, resolved.pds),
            "\(subject) resolves to issuer \(resolved.issuer.absoluteString) (R21)"
        )
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
