import ATProtoOAuth
import Foundation

/// How a login runs: which client identity, which scope, where the browser goes.
public struct LoginConfiguration: Sendable {
    /// The client identity presented to the authorization server.
    public enum Client: Sendable, Hashable {
        /// The localhost development client (R13): no document to host; sessions are short.
        case development
        /// A hosted native client-metadata document at this https URL (R10–R12).
        case hosted(URL)
    }

    public var client: Client
    /// The scope to request (R28); `atproto` is required.
    public var scope: String
    /// The loopback listener's port; 0 picks a free one (a hosted client may pin a port).
    public var port: UInt16
    /// How long to wait for the browser to come back (default 300 s).
    public var callbackTimeout: Duration
    /// Development only: permit plain-http loopback servers (the dev network).
    public var allowHTTPLoopback: Bool
    /// Opens the authorization URL; the default runs `$BROWSER` or `xdg-open`.
    public var openBrowser: @Sendable (URL) async -> BrowserLauncher.Outcome
    /// DPoP nonces already known for the account being logged in (its stored session's, on a
    /// re-login), by server origin. The authorization server's is sent with the first PAR,
    /// which then needs no `use_dpop_nonce` retry (R23); a nonce that has rotated meanwhile
    /// costs only that retry.
    public var knownNonces: @Sendable (DID) async -> [String: String]

    public init(
        client: Client = .development,
        scope: String = "atproto transition:generic",
        port: UInt16 = 0,
        callbackTimeout: Duration = .seconds(300),
        allowHTTPLoopback: Bool = false,
        openBrowser: @escaping @Sendable (URL) async -> BrowserLauncher.Outcome = LoginConfiguration.systemBrowser,
        knownNonces: @escaping @Sendable (DID) async -> [String: String] = { _ in [:] }
    ) {
        self.client = client
        self.scope = scope
        self.port = port
        self.callbackTimeout = callbackTimeout
        self.allowHTTPLoopback = allowHTTPLoopback
        self.openBrowser = openBrowser
        self.knownNonces = knownNonces
    }

    /// Runs `$BROWSER` or `xdg-open` with the URL.
    public static let systemBrowser: @Sendable (URL) async -> BrowserLauncher.Outcome = { url in
        BrowserLauncher.open(url, environment: ProcessInfo.processInfo.environment)
    }

    /// Never launches a program (`--no-browser`): the URL is only printed.
    public static let noBrowser: @Sendable (URL) async -> BrowserLauncher.Outcome = { _ in .notAvailable }
}

/// What a running login reports, in order.
public enum LoginEvent: Sendable, Hashable {
    /// A discovery or login step changed state.
    case step(FlowStep)
    /// The loopback listener is up at this redirect URI.
    case listening(URL)
    /// The authorization URL to open (always shown: the browser may not start).
    case authorizationURL(URL)
}

/// The fixed login step names, in order.
public enum LoginStepName: String, CaseIterable, Sendable {
    case listener, par, browser, callback, token
    case verifySubject = "verify-subject"
    case save
}
