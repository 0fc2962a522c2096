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

/// Finds the PDS and authorization server currently responsible for a DID (R21), so a
/// refresh can confirm — before it spends the single-use refresh token — that the session's
/// issuer still speaks for the account, and adopt a PDS the account moved to.
///
/// Implementations must resolve afresh, bypassing any identity cache (as the TypeScript
/// reference does before a refresh): a cached answer could let a refresh go to an issuer
/// that no longer serves the account. `Discovery` implements it.
public protocol IssuerResolving: Sendable {
    func currentServers(for did: DID) async throws -> (pds: URL, issuer: URL)
}
