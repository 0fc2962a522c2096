import Foundation

/// A stored session's public facts: what account lists and tables show, and no secret — no
/// token, and the DPoP key reduced to its thumbprint.
///
/// Lists of many accounts read these rather than whole sessions: a store may keep them apart
/// from the secrets (the file store caches them, so `accounts` and the TUI with a thousand
/// accounts read one small file instead of decoding a thousand sessions and their keys).
public struct SessionSummary: Sendable, Hashable, Codable {
    public var did: DID
    public var handle: Handle?
    public var pds: URL
    public var issuer: String
    public var clientID: String
    /// The granted scope, as the authorization server wrote it.
    public var scope: String
    /// When the access token expires.
    public var expiresAt: Date
    public var createdAt: Date
    public var refreshedAt: Date?
    public var needsLogin: Bool
    public var hasRefreshToken: Bool
    /// The RFC 7638 thumbprint of the session's DPoP key (`jkt`), `?` when it has none.
    public var dpopThumbprint: String
    /// Set while an interrupted `store move` has marked the session (``Session/movingTo``).
    public var movingTo: String?

    public init(
        did: DID, handle: Handle?, pds: URL, issuer: String, clientID: String, scope: String, expiresAt: Date,
        createdAt: Date, refreshedAt: Date?, needsLogin: Bool, hasRefreshToken: Bool, dpopThumbprint: String,
        movingTo: String?
    ) {
        self.did = did
        self.handle = handle
        self.pds = pds
        self.issuer = issuer
        self.clientID = clientID
        self.scope = scope
        self.expiresAt = expiresAt
        self.createdAt = createdAt
        self.refreshedAt = refreshedAt
        self.needsLogin = needsLogin
        self.hasRefreshToken = hasRefreshToken
        self.dpopThumbprint = dpopThumbprint
        self.movingTo = movingTo
    }

    public init(_ session: Session) {
        did = session.did
        handle = session.handle
        pds = session.pds
        issuer = session.issuer
        clientID = session.clientID
        scope = session.scope.description
        expiresAt = session.expiresAt
        createdAt = session.createdAt
        refreshedAt = session.refreshedAt
        needsLogin = session.needsLogin
        hasRefreshToken = session.refreshToken != nil
        dpopThumbprint = (try? session.dpopKey.thumbprint()) ?? "?"
        movingTo = session.movingTo
    }

    /// The session's state at `now`: the same one decision as ``Session/health(now:)``.
    public func health(now: Date) -> SessionHealth {
        SessionHealth(
            expiresAt: expiresAt, needsLogin: needsLogin, hasRefreshToken: hasRefreshToken, createdAt: createdAt,
            now: now)
    }

    /// When the refresh chain is expected to end (R26), counted from the original login.
    public var refreshTokenExpiryEstimate: Date { createdAt.addingTimeInterval(Session.publicClientSessionLifetime) }

    /// The sort key of listings: the handle a person recognises, else the DID.
    public var listingName: String { handle?.rawValue ?? did.rawValue }
}

/// Every stored session's summary, and every entry that could not be read.
public struct SummaryListing: Sendable {
    /// Sorted by handle (accounts without one by DID), then by DID.
    public var summaries: [SessionSummary]
    public var problems: [SessionStoreProblem]

    public init(summaries: [SessionSummary], problems: [SessionStoreProblem]) {
        self.summaries = summaries
        self.problems = problems
    }

    /// The listing of `listing`'s sessions, in the same order.
    public init(_ listing: SessionListing) {
        self.init(summaries: listing.sessions.map(SessionSummary.init), problems: listing.problems)
    }
}
