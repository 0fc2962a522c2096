import ATProtoOAuth
import Foundation

extension OAuthClient {
    /// Logs every stored account out, at most ``OAuthClientConfiguration/refreshConcurrency``
    /// at a time: each grant is revoked (R27), then its session deleted under its lock, as
    /// ``logout(_:keepOnRevocationFailure:)`` does for one.
    ///
    /// Every account is tried, whatever happens to the others; the outcomes come back in the
    /// store's listing order. A failure to revoke is inside the account's `LogoutOutcome`
    /// (the session is still deleted unless `keepOnRevocationFailure` is set); a failure to
    /// delete is the account's `.failure`. Stored entries that cannot be read are not
    /// sessions and are left alone.
    ///
    /// - Parameter progress: hears each outcome as soon as it is known.
    public func logoutAll(
        keepOnRevocationFailure: Bool = false,
        progress: @escaping @Sendable (DID, Result<LogoutOutcome, any Error>) -> Void = { _, _ in }
    ) async throws -> [(did: DID, result: Result<LogoutOutcome, any Error>)] {
        let targets = try await store.list().sessions.map(\.did)
        return await forEachBounded(targets, progress: progress) {
            try await self.logout($0, keepOnRevocationFailure: keepOnRevocationFailure)
        }
    }
}
