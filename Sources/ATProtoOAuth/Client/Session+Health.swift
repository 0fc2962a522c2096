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
        if needsLogin || refreshToken == nil && expiresAt <= now { return .needsLogin }
        if expiresAt <= now { return refreshTokenExpiryEstimate <= now ? .needsLogin : .expiredRefreshable }
        if accessTokenExpires(within: SessionAgent.refreshMargin, now: now) { return .expiring }
        return .ok
    }
}
