import Foundation

/// A key press, already decoded from the terminal.
public enum Key: Sendable, Hashable {
    case char(Character)
    case up, down, enter, escape, backspace, home, end, pageUp, pageDown, ctrlC, resize
}

/// Everything that can change the model: keys, the clock, the terminal, and service results.
public enum Event: Sendable, Hashable {
    case key(Key)
    /// The clock moved (the run loop sends one per poll, so countdowns and spinners move).
    case tick(Date)
    case resized(rows: Int, cols: Int)
    case accountsLoaded(accounts: [AccountSummary], problems: [StoreProblemSummary])
    case discovery(DiscoveryProgress)
    case login(LoginProgress)
    case refreshFinished(did: String, result: Result<AccountSummary, TUIServiceError>)
    /// `error` is nil on success.
    case logoutFinished(did: String, error: TUIServiceError?)
    /// `error` is nil on success.
    case defaultSet(did: String, error: TUIServiceError?)
    /// The store changed (another terminal's `login`, `logout` or `refresh`, or this TUI's
    /// own writes): reload. The run loop sends at most five a second, however many writes.
    case storeChanged
}

/// Work `update` asks the run loop to do; results come back as events.
public enum Effect: Sendable, Hashable {
    case loadAccounts
    case discover(String)
    /// Stops a running discovery (the inspector was left).
    case cancelDiscovery
    /// `reuse` is the DID of the account being re-logged in.
    case login(String, reuse: String?)
    case cancelLogin
    case refresh(String)
    /// Refreshes these accounts (those with a refresh token, not needing a login); the
    /// library bounds how many run at once.
    case refreshAll([String])
    case logout(String)
    case setDefault(String)
    case openURL(URL)
    /// Copies through the terminal with OSC 52, so it works over SSH and inside tmux.
    case copyToClipboard(String)
    case quit
}
