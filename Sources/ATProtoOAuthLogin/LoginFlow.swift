import ATProtoDiscovery
import ATProtoOAuth
import Foundation

/// One interactive login (R12–R21): discovery → fresh DPoP key, PKCE and state → loopback
/// listener → PAR with DPoP → browser → one callback → token request → token-response and
/// subject checks → save.
///
/// The flow is two phases with the browser between them, so an app that owns its redirect
/// URI can run them apart: ``authorize(_:redirectURI:progress:)`` (discovery, key, PKCE,
/// state, PAR) returns a `PendingAuthorization` to keep, and
/// ``complete(_:callback:save:progress:)`` finishes with the callback's query.
/// ``run(_:pasted:save:progress:)`` is both phases around a loopback listener and the system
/// browser (RFC 8252), optionally racing callbacks the person pastes.
///
/// Nothing is stored until every check has passed, so a failed or denied login leaves an
/// existing session for the same account untouched.
public struct LoginFlow: Sendable {
    public let transport: any HTTPTransport
    public let discovery: Discovery
    public let configuration: LoginConfiguration
    let now: @Sendable () -> Date

    public init(
        transport: any HTTPTransport, discovery: Discovery, configuration: LoginConfiguration,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.transport = transport
        self.discovery = discovery
        self.configuration = configuration
        self.now = now
    }

    /// Runs the whole loopback login: listener, phase 1, browser, one callback, phase 2.
    ///
    /// - Parameters:
    ///   - pasted: callbacks the person pastes, for a browser that cannot reach the listener
    ///     (over SSH). Each is judged exactly as a request to the listener (R18); the listener
    ///     keeps running, and whichever delivers this login's callback first wins — the other
    ///     is then stopped.
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
        pasted: PastedCallbacks? = nil,
        save: @Sendable (Session) async throws -> Session?,
        progress: @escaping @Sendable (LoginEvent) -> Void = { _ in }
    ) async throws -> Session {
        let steps = StepReporter { progress(.step($0)) }
        let discovered = try await discover(input, progress: progress)
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

        let (authorizationURL, pending) = try await pushAuthorization(
            await prepare(
                discovered, server: server, key: key, pkce: pkce, state: state,
                redirectURI: redirectURI.absoluteString, clientID: clientID),
            key: key, codeChallenge: pkce.challenge, loginHint: input.loginHint, steps: steps)
        progress(.authorizationURL(authorizationURL))
        try await steps.run(LoginStepName.browser.rawValue) {
            switch await configuration.openBrowser(authorizationURL) {
            case .launched(let command): ((), "opened with \(command)")
            case .notAvailable: ((), "no browser to start; open the URL shown")
            case .failed(let command, let reason): ((), "\(command) failed (\(reason)); open the URL shown")
            }
        }

        let pasting = pasted.map { Self.feed($0, to: listener) }
        defer { pasting?.cancel() }
        let code = try await steps.run(LoginStepName.callback.rawValue, target: redirectURI.absoluteString) {
            // Only a callback carrying this login's state ends the wait (the listener answers
            // others 400 and keeps listening), so a stray or forged request cannot end it.
            let query: LoopbackListener.Callback
            do {
                query = try await listener.waitForCallback(timeout: configuration.callbackTimeout)
            } catch {
                throw Self.wrap(error, as: .callback)
            }
            // Whichever source delivered, the other one stops now.
            pasting?.cancel()
            let (code, detail) = try Self.accept(query, pending: pending)
            guard await listener.deliveredSource == .pasted else { return (code, detail) }
            return (code, "pasted: " + detail)
        }
        // Stop listening now, but don't wait for the browser's kept-alive connection to close
        // (up to a second): the token exchange needs nothing from it.
        Task { await listener.stop() }

        return try await exchange(code: code, pending: pending, key: key, steps: steps, save: save)
    }

    /// Submits each pasted line to the listener, which judges it as it judges requests (R18),
    /// until the wait ends (the task is cancelled) or the lines run out.
    private static func feed(_ pasted: PastedCallbacks, to listener: LoopbackListener) -> Task<Void, Never> {
        Task {
            for await line in pasted.lines {
                if Task.isCancelled { return }
                guard !line.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { continue }
                if case .ignore(let reason) = await listener.submitPasted(line) {
                    pasted.ignored(reason)
                }
            }
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
