import ATProtoOAuth
import Foundation

/// What went wrong and what to do about it, ready for the error banner.
public struct TUIServiceError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, e.g. `"bob.test: authorization server refused PAR (R14)"`.
    public var message: String
    /// What the person can do next, e.g. `"check the client ID, then press L to retry"`.
    public var hint: String

    public init(_ message: String, hint: String) {
        self.message = message
        self.hint = hint
    }

    public var description: String { hint.isEmpty ? message : "\(message) — \(hint)" }
}

/// Progress of one login, as the login screen draws it.
public enum LoginProgress: Sendable, Hashable {
    /// A step started, progressed or finished; steps are matched by `name`.
    case step(FlowStep)
    /// The loopback listener is up, e.g. `http://127.0.0.1:54321/callback`.
    case listening(address: String)
    /// The URL the person must open to approve (already opened once by the service).
    case authorizationURL(URL)
    case finished(Result<AccountSummary, TUIServiceError>)
}

/// Progress of one discovery run, as the inspector draws it.
public enum DiscoveryProgress: Sendable, Hashable {
    /// A step started, progressed or finished; steps are matched by `name`.
    case step(FlowStep)
    /// A batch of profile checks (e.g. those of one metadata document); batches are appended.
    case checks([ProfileCheck])
    /// The run ended: a one-line summary (e.g. `"bob.test → did:plc:… → https://as.example"`).
    case finished(Result<String, TUIServiceError>)
}

/// Everything the TUI asks of the outside world. ``ClientAccountsService`` implements it over
/// the library's `OAuthClient`, which owns every policy; tests and the golden frames need none
/// of it because `update` is pure.
public protocol AccountsService: Sendable {
    func loadAccounts() async -> (accounts: [AccountSummary], problems: [StoreProblemSummary])
    /// Resolves a handle, DID or URL; the stream ends after `.finished`.
    func discover(_ input: String) -> AsyncStream<DiscoveryProgress>
    /// Logs in `input` (a handle, DID or URL; for a re-login, the account's handle or DID).
    /// Cancelling the consuming task cancels the login and closes the loopback listener. The
    /// stream ends after `.finished`.
    func login(_ input: String) -> AsyncStream<LoginProgress>
    func refresh(_ did: String) async -> Result<AccountSummary, TUIServiceError>
    /// Refreshes several accounts, reporting each outcome as it comes.
    func refreshAll(
        _ dids: [String], onResult: @escaping @Sendable (String, Result<AccountSummary, TUIServiceError>) -> Void
    ) async
    func logout(_ did: String) async -> Result<Void, TUIServiceError>
    func setDefault(_ did: String) async -> Result<Void, TUIServiceError>
    func openInBrowser(_ url: URL) async
    /// Handles offered in the add-account prompt and the first-run screen (the demo's seeds).
    var suggestedHandles: [String] { get }
    /// Yields whenever the stored accounts may have changed, by this process or another one
    /// (another terminal's `login`, `logout`, `refresh`); the TUI reloads on each element.
    /// `nil` when the store cannot tell (no live updates; the list changes on the TUI's own
    /// actions only).
    func storeChanges() -> AsyncStream<Void>?
}

extension AccountsService {
    /// No change feed: the TUI shows other processes' changes only after its own reloads.
    public func storeChanges() -> AsyncStream<Void>? { nil }
}
