import ATProtoOAuth
import Foundation

/// The whole state of the TUI. `update` changes it, `view` draws it; nothing else does either.
public struct Model: Sendable, Equatable {
    /// Which page is on screen.
    public enum Page: Sendable, Hashable { case accounts, discovery, login, help }

    public var screen: Page = .accounts
    /// Where Esc from the help page goes back to.
    public var returnScreen: Page = .accounts
    public var rows: Int
    public var cols: Int
    public var now: Date
    /// Times in the details pane are shown in this zone (tests pin UTC).
    public var timeZone: TimeZone
    public var suggestedHandles: [String]

    public var accounts: [AccountSummary] = []
    public var problems: [StoreProblemSummary] = []
    /// False until the first `accountsLoaded`, so the first frame says "Loading" not "empty".
    public var hasLoaded = false
    /// Index into ``visibleAccounts``.
    public var selection = 0
    public var filter = ""
    public var prompt: Prompt?
    public var banner: Banner?
    /// A one-line note about the last action; cleared by the next key.
    public var status: String?
    public var confirm: Confirmation?
    /// DIDs with a refresh in flight.
    public var refreshing: Set<String> = []
    public var discovery = DiscoveryState()
    public var login = LoginState()

    public init(
        now: Date, rows: Int = 24, cols: Int = 80, suggestedHandles: [String] = [],
        timeZone: TimeZone = TimeZone(identifier: "UTC") ?? .current
    ) {
        self.now = now
        self.rows = rows
        self.cols = cols
        self.suggestedHandles = suggestedHandles
        self.timeZone = timeZone
    }

    /// The accounts the table shows: all of them, or those matching the filter.
    public var visibleAccounts: [AccountSummary] {
        let needle = filter.trimmingCharacters(in: .whitespaces).lowercased()
        guard !needle.isEmpty else { return accounts }
        return accounts.filter { account in
            account.label.lowercased().contains(needle) || account.did.lowercased().contains(needle)
                || account.pdsHost.lowercased().contains(needle)
        }
    }

    public var selectedAccount: AccountSummary? {
        let visible = visibleAccounts
        return visible.indices.contains(selection) ? visible[selection] : nil
    }
}

/// The one-line input at the bottom of the screen.
public struct Prompt: Sendable, Hashable {
    public enum Purpose: Sendable, Hashable {
        /// `a`: a handle to log in.
        case addAccount
        /// `d`: a handle, DID or URL to inspect.
        case discover
        /// `/`: filters the table as you type.
        case filter
    }

    public var purpose: Purpose
    public var text: String
    /// The text was prefilled and not yet edited: typing replaces it, backspace clears it.
    public var pristine: Bool
    /// Which of the suggestions ↑/↓ last picked.
    public var suggestionIndex: Int?

    public init(purpose: Purpose, text: String = "", pristine: Bool = false, suggestionIndex: Int? = nil) {
        self.purpose = purpose
        self.text = text
        self.pristine = pristine
        self.suggestionIndex = suggestionIndex
    }
}

/// The error banner: what went wrong and what to do.
public struct Banner: Sendable, Hashable {
    public var message: String
    public var hint: String

    public init(message: String, hint: String) {
        self.message = message
        self.hint = hint
    }

    public init(_ error: TUIServiceError) {
        self.init(message: error.message, hint: error.hint)
    }
}

/// A question that the next key answers (`y` confirms, anything else cancels).
public enum Confirmation: Sendable, Hashable {
    case logout(did: String, label: String)
}

/// The discovery inspector.
public struct DiscoveryState: Sendable, Hashable {
    /// What is being inspected.
    public var input = ""
    public var steps: [FlowStep] = []
    public var checks: [ProfileCheck] = []
    public var isRunning = false
    public var summary: String?
    public var error: TUIServiceError?
    /// Index into steps followed by checks.
    public var selection = 0
    /// The raw document of a step, when one is open.
    public var document: DocumentView?

    public init() {}

    public var itemCount: Int { steps.count + checks.count }
}

/// A scrollable text document (a step's raw JSON).
public struct DocumentView: Sendable, Hashable {
    public var title: String
    public var lines: [String]
    /// The first line shown.
    public var scroll: Int

    public init(title: String, lines: [String], scroll: Int = 0) {
        self.title = title
        self.lines = lines
        self.scroll = scroll
    }
}

/// The login page.
public struct LoginState: Sendable, Hashable {
    public var input = ""
    /// The DID of the account being re-logged in, if any.
    public var reuseDID: String?
    public var steps: [FlowStep] = []
    public var listenAddress: String?
    public var authorizationURL: URL?
    public var isRunning = false
    public var error: TUIServiceError?

    public init() {}

    /// The browser has the URL and the listener still waits for the callback (once the
    /// `callback` step has finished, the flow is exchanging the code, not waiting on a person).
    public var isWaitingForApproval: Bool {
        isRunning && authorizationURL != nil
            && steps.first(where: { $0.name == "callback" })?.status.isFinished != true
    }
}

extension Array where Element == FlowStep {
    /// Replaces the step with the same name, or appends a new one.
    mutating func upsert(_ step: FlowStep) {
        if let index = firstIndex(where: { $0.name == step.name }) {
            self[index] = step
        } else {
            append(step)
        }
    }
}
