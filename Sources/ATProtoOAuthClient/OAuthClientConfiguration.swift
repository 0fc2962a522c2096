import ATProtoDiscovery
import ATProtoOAuth
import ATProtoOAuthLogin
import Foundation

/// Everything an ``OAuthClient`` needs to know that is not a component: who the client is,
/// what it asks for, where identities resolve, and the policies for stored sessions.
public struct OAuthClientConfiguration: Sendable {
    /// The client identity presented to authorization servers (R10–R13).
    public var client: LoginConfiguration.Client
    /// The scope requested at login (R28); `atproto` is required.
    public var scope: String
    /// Where handles and DIDs resolve, whether plain-http loopback servers are allowed
    /// (development only, R29), and the identity cache (R7).
    public var discovery: DiscoveryConfiguration
    /// How long to wait for another holder of an account's lock (R24).
    public var lockTimeout: Duration
    /// At most this many refreshes run at once in ``OAuthClient/refreshAll(_:progress:)``.
    public var refreshConcurrency: Int
    /// The default of ``refreshConcurrency``, which is also the CLI's `--jobs` default.
    public static let defaultRefreshConcurrency = 4
    /// After a login, make the account the store's default (stores that have one,
    /// `DefaultAccountStore`), as `gh auth login` does.
    public var makeLoginDefault: Bool

    public init(
        client: LoginConfiguration.Client = .development,
        scope: String = "atproto transition:generic",
        discovery: DiscoveryConfiguration = DiscoveryConfiguration(
            plcDirectory: DiscoveryConfiguration.defaultPLCDirectory ?? URL(fileURLWithPath: "/")),
        lockTimeout: Duration = .seconds(30),
        refreshConcurrency: Int = defaultRefreshConcurrency,
        makeLoginDefault: Bool = true
    ) {
        self.client = client
        self.scope = scope
        self.discovery = discovery
        self.lockTimeout = lockTimeout
        self.refreshConcurrency = max(1, refreshConcurrency)
        self.makeLoginDefault = makeLoginDefault
    }

    /// Development only: plain-http loopback servers are allowed (the dev network).
    public var allowHTTPLoopback: Bool { discovery.allowHTTPLoopback }
}

/// How one loopback login runs: the listener's port, how long to wait for the browser, how
/// the browser is opened, and whether the person may paste the callback instead.
public struct LoopbackLoginOptions: Sendable {
    /// The loopback listener's port; 0 picks a free one (a hosted client may pin a port).
    public var port: UInt16
    /// How long to wait for the browser to come back.
    public var callbackTimeout: Duration
    /// Opens the authorization URL; the default runs `$BROWSER` or `xdg-open`.
    public var openBrowser: @Sendable (URL) async -> BrowserLauncher.Outcome
    /// Callback addresses the person pastes (`login --paste`), for a browser that cannot reach
    /// this machine's loopback listener, over SSH. Each is judged exactly as a request to the
    /// listener (R18); the listener keeps running and whichever delivers first wins. Single
    /// use: an `AsyncStream` has one reader, so give each login its own.
    public var pastedCallbacks: PastedCallbacks?

    public init(
        port: UInt16 = 0, callbackTimeout: Duration = .seconds(300),
        openBrowser: @escaping @Sendable (URL) async -> BrowserLauncher.Outcome = LoginConfiguration.systemBrowser,
        pastedCallbacks: PastedCallbacks? = nil
    ) {
        self.port = port
        self.callbackTimeout = callbackTimeout
        self.openBrowser = openBrowser
        self.pastedCallbacks = pastedCallbacks
    }
}
