import ATProtoOAuth
import Foundation

/// What the TUI knows about one stored account: public facts only, never a token or a key.
///
/// The CLI builds these from the account store; the TUI never reads the store itself, so the
/// same screens work against the real store, the demo and the tests.
public struct AccountSummary: Sendable, Hashable {
    public var did: String
    public var handle: String?
    /// The PDS origin, e.g. `https://pds.example.com`.
    public var pdsHost: String
    public var issuer: String
    public var scope: String
    /// When the access token expires.
    public var expiresAt: Date
    public var createdAt: Date
    public var refreshedAt: Date?
    public var dpopThumbprint: String
    public var isDefault: Bool
    /// The store says the session cannot be used any more (revoked, refresh failed for good).
    public var needsLogin: Bool
    public var hasRefreshToken: Bool

    public init(
        did: String, handle: String?, pdsHost: String, issuer: String, scope: String, expiresAt: Date,
        createdAt: Date, refreshedAt: Date? = nil, dpopThumbprint: String, isDefault: Bool = false,
        needsLogin: Bool = false, hasRefreshToken: Bool = true
    ) {
        self.did = did
        self.handle = handle
        self.pdsHost = pdsHost
        self.issuer = issuer
        self.scope = scope
        self.expiresAt = expiresAt
        self.createdAt = createdAt
        self.refreshedAt = refreshedAt
        self.dpopThumbprint = dpopThumbprint
        self.isDefault = isDefault
        self.needsLogin = needsLogin
        self.hasRefreshToken = hasRefreshToken
    }

    /// The name people know the account by: the handle, or the DID when there is none.
    public var label: String { handle ?? did }

    /// The badge the accounts table shows: the library's one decision (`SessionHealth`,
    /// refresh margin and the 14-day limit of R26 included), at `now`.
    public func state(at now: Date) -> AccountState {
        let health = SessionHealth(
            expiresAt: expiresAt, needsLogin: needsLogin, hasRefreshToken: hasRefreshToken, createdAt: createdAt,
            now: now)
        switch health {
        case .ok: return .ok
        case .expiring: return .expiring
        case .expiredRefreshable: return .expired
        case .needsLogin: return .needsLogin
        }
    }
}

extension AccountSummary {
    /// The summary of a stored session: public facts only (the DPoP key is reduced to its
    /// thumbprint; tokens are not read).
    public init(_ session: Session, isDefault: Bool) {
        self.init(SessionSummary(session), isDefault: isDefault)
    }

    /// The table's row for a store's summary of a session.
    public init(_ summary: SessionSummary, isDefault: Bool) {
        self.init(
            did: summary.did.rawValue, handle: summary.handle?.rawValue,
            pdsHost: summary.pds.originString ?? summary.pds.absoluteString, issuer: summary.issuer,
            scope: summary.scope, expiresAt: summary.expiresAt, createdAt: summary.createdAt,
            refreshedAt: summary.refreshedAt, dpopThumbprint: summary.dpopThumbprint, isDefault: isDefault,
            needsLogin: summary.needsLogin, hasRefreshToken: summary.hasRefreshToken)
    }
}

/// The health of an account's session at a given moment.
public enum AccountState: Sendable, Hashable {
    case ok
    /// The access token expires within the library's refresh margin (a minute).
    case expiring
    /// The access token has expired; `r` fixes it when the account has a refresh token.
    case expired
    /// Only a new login can fix it (`L`).
    case needsLogin

    public var badge: String {
        switch self {
        case .ok: "ok"
        case .expiring: "expiring"
        case .expired: "expired"
        case .needsLogin: "needs login"
        }
    }
}

/// A file in the store that could not be read, shown so a person can repair or delete it.
public struct StoreProblemSummary: Sendable, Hashable {
    public var file: String
    public var reason: String

    public init(file: String, reason: String) {
        self.file = file
        self.reason = reason
    }
}
