import Foundation

/// Where sessions live between processes. `AccountStore` implements it with one 0600 file
/// per DID and `flock`; tests may implement it in memory.
///
/// `withLock` must exclude other threads AND other processes for the same DID: refresh
/// tokens are single-use (R24), so two refreshes racing with the same token would get the
/// whole session revoked.
public protocol SessionStorage: Sendable {
    func load(_ did: DID) throws -> Session
    func save(_ session: Session) throws
    func withLock<T: Sendable>(
        _ did: DID, timeout: Duration, _ body: @Sendable () async throws -> T
    ) async throws -> T
}

/// Finds the authorization server currently responsible for a DID (R21), so a refresh can
/// confirm the session's issuer still speaks for the account. `Discovery` implements it,
/// caching identity for at most 10 minutes (R7).
public protocol IssuerResolving: Sendable {
    func issuer(for did: DID) async throws -> (pds: URL, issuer: URL)
}
