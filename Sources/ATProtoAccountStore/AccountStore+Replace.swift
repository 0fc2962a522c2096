import ATProtoOAuth
import Foundation

extension AccountStore {
    /// Saves a freshly logged-in session under the account's lock and returns the session it
    /// replaced, read inside the same lock, so the caller can revoke the superseded grant (R27)
    /// — and only that one: a refresh by another process cannot slip in between the read and
    /// the write.
    ///
    /// The previous file is best effort: when it is missing the result is `nil`; when it cannot
    /// be read (corrupt, wrong permissions, newer format) it is still replaced, as `save`
    /// always did, and the result is `nil` too (its grant, if any, cannot be revoked without
    /// its key).
    public func replace(_ session: Session, timeout: Duration = .seconds(30)) async throws -> Session? {
        try await withLock(session.did, timeout: timeout) {
            let previous = try? load(session.did)
            try save(session)
            return previous
        }
    }
}
