import Foundation

/// Where sessions live between uses, and the lock that keeps refreshes safe.
///
/// Conform a type to plug in any storage: the file store (`AccountStore`, the default of the
/// command-line tool), ``InMemorySessionStore`` (tests, short-lived programs), a database.
///
/// `withLock` is the heart of the contract: it must exclude every other holder for the same
/// DID — other tasks, other processes and, for a shared database, other machines — because
/// refresh tokens are single-use (R24): two refreshes racing with the same token get the whole
/// session revoked. Inside the lock, callers re-`load` the session: another holder may have
/// refreshed it just before.
///
/// ```swift
/// let next = try await store.withLock(did, timeout: .seconds(30)) {
///     let session = try await store.load(did)   // re-read inside the lock
///     // …refresh…
///     try await store.save(refreshed)
///     return refreshed
/// }
/// ```
public protocol SessionStore: Sendable {
    /// The stored session for `did`; throws when there is none or it cannot be read.
    func load(_ did: DID) async throws -> Session
    /// Stores `session` under its DID, replacing what was there, atomically: a reader sees the
    /// old session or the new one, never a mix, and a crash loses neither.
    func save(_ session: Session) async throws
    /// Removes the session for `did`; throws when there is none.
    func delete(_ did: DID) async throws
    /// Every stored session, and every entry that could not be read (never hidden, never
    /// deleted: a person decides what to do with it).
    func list() async throws -> SessionListing
    /// Every stored session's public facts (``SessionSummary``), for lists and tables. The
    /// default reads ``list()``; a store that can answer without decoding every secret
    /// (the file store's summary cache) implements it.
    func summaries() async throws -> SummaryListing
    /// Runs `body` holding the exclusive lock of `did` (see the type's documentation).
    /// Waiting longer than `timeout` throws.
    func withLock<T: Sendable>(
        _ did: DID, timeout: Duration, _ body: @Sendable () async throws -> T
    ) async throws -> T
}

/// A store that also remembers which account is the default one, as the command-line tool's
/// file store does: an option of that store, not of every store.
public protocol DefaultAccountStore: SessionStore {
    func defaultAccount() async -> DID?
    func setDefault(_ did: DID?) async throws
}

/// What ``SessionStore/list()`` found: the sessions that loaded and the entries that did not.
public struct SessionListing: Sendable {
    /// Loaded sessions, in the store's order (the file store sorts by handle, then DID).
    public var sessions: [Session]
    /// Entries that could not be used, each with the reason and what to do.
    public var problems: [SessionStoreProblem]

    public init(sessions: [Session], problems: [SessionStoreProblem]) {
        self.sessions = sessions
        self.problems = problems
    }
}

/// One stored entry that could not be read: which one, and why.
public struct SessionStoreProblem: Sendable, CustomStringConvertible {
    /// Where the entry lives, in the store's terms (a file relative to the store, a row key).
    public var location: String
    /// What is wrong and what to do, in words a person can act on.
    public var reason: String
    /// The store's own error, for callers that branch on it.
    public var underlying: (any Error & Sendable)?

    public init(location: String, reason: String, underlying: (any Error & Sendable)? = nil) {
        self.location = location
        self.reason = reason
        self.underlying = underlying
    }

    public var description: String { "\(location): \(reason)" }
}

/// Finds the PDS and authorization server currently responsible for a DID (R21), so a
/// refresh can confirm — before it spends the single-use refresh token — that the session's
/// issuer still speaks for the account, and adopt a PDS the account moved to.
///
/// Implementations must resolve afresh, bypassing any identity cache (as the TypeScript
/// reference does before a refresh): a cached answer could let a refresh go to an issuer
/// that no longer serves the account. `Discovery` implements it.
public protocol IssuerResolving: Sendable {
    func currentServers(for did: DID) async throws -> (pds: URL, issuer: URL)

    /// The same, told which PDS the session last used, so an implementation may ask that PDS
    /// for its metadata while it resolves the document (one round trip instead of two when the
    /// account has not moved). The answer must still be fresh and must come from the document.
    func currentServers(for did: DID, likelyPDS: URL) async throws -> (pds: URL, issuer: URL)
}

extension IssuerResolving {
    /// Ignores the hint.
    public func currentServers(for did: DID, likelyPDS: URL) async throws -> (pds: URL, issuer: URL) {
        try await currentServers(for: did)
    }
}

extension SessionStore {
    public func summaries() async throws -> SummaryListing {
        SummaryListing(try await list())
    }
}
