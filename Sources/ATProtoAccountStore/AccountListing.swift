import ATProtoOAuth

/// Everything `loadAll` found: the sessions that loaded, and every file that did not.
///
/// A bad file never hides the good ones and is never deleted: it is reported here by name so
/// the CLI can print it and the TUI can show it next to the working accounts.
public struct AccountListing: Sendable, Hashable {
    /// Loaded sessions, sorted by handle (accounts without one by DID), then by DID.
    public var sessions: [Session]
    /// Files under `accounts/` that could not be used, sorted by file name.
    public var problems: [StoreProblem]

    public init(sessions: [Session], problems: [StoreProblem]) {
        self.sessions = sessions
        self.problems = problems
    }
}

/// One unusable file: which, and why (the reason says what to do, e.g. the `chmod` to run).
public struct StoreProblem: Sendable, Hashable, CustomStringConvertible {
    /// Relative to the store, e.g. `accounts/did:plc:abc.json`.
    public var file: String
    public var reason: String
    /// The classified error, for callers that branch (e.g. on `.newerVersion`).
    public var error: AccountStoreError

    public init(_ error: AccountStoreError, file: String) {
        self.file = file
        self.reason = error.reason
        self.error = error
    }

    public var description: String { "\(file): \(reason)" }
}

extension Session {
    /// The sort key of listings: the handle a person recognises, else the DID.
    var listingName: String { handle?.rawValue ?? did.rawValue }
}
