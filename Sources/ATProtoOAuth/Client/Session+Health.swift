import Foundation

/// What a stored session needs, from the user's point of view.
public enum SessionHealth: String, Sendable, Codable, CaseIterable {
    /// The access token has more than `SessionAgent.refreshMargin` left.
    case ok
    /// The access token expires within the refresh margin; the next use refreshes it.
    case expiring
    /// The access token has expired; the refresh token should still work.
    case expiredRefreshable = "expired-refreshable"
    /// Only a new login helps: the refresh token was refused, is missing, or has outlived
    /// the 14-day limit for public clients (R26).
    case needsLogin = "needs-login"
}

extension Session {
    /// R26: public clients' sessions and refresh tokens last at most 14 days.
    public static let publicClientSessionLifetime: TimeInterval = 14 * 24 * 3600

    /// When the refresh chain is expected to end (R26), counted from the original login.
    public var refreshTokenExpiryEstimate: Date { createdAt.addingTimeInterval(Self.publicClientSessionLifetime) }

    public func health(now: Date) -> SessionHealth {
        SessionHealth(
            expiresAt: expiresAt, needsLogin: needsLogin, hasRefreshToken: refreshToken != nil, createdAt: createdAt,
            now: now)
    }
}

extension SessionHealth {
    /// The one place a session's state is decided, from public facts only (so a summary that
    /// holds no token can be judged exactly like the session it came from): marked, or
    /// expired without a way to refresh, or past the 14-day chain (R26) → needs a login;
    /// expired → refreshable; under ``SessionAgent/refreshMargin`` left → expiring.
    public init(expiresAt: Date, needsLogin: Bool, hasRefreshToken: Bool, createdAt: Date, now: Date) {
        let chainEnds = createdAt.addingTimeInterval(Session.publicClientSessionLifetime)
        if needsLogin || !hasRefreshToken && expiresAt <= now {
            self = .needsLogin
        } else if expiresAt <= now {
            self = chainEnds <= now ? .needsLogin : .expiredRefreshable
        } else if expiresAt.timeIntervalSince(now) <= SessionAgent.refreshMargin {
            self = .expiring
        } else {
            self = .ok
        }
    }
}
