import Foundation

/// Where an app that owns its redirect URI keeps each ``PendingAuthorization`` between
/// `authorize` and `callback`: in memory for one process (``InMemoryAuthorizationStateStore``),
/// or in a shared database when the callback may reach another process or machine.
///
/// The contract carries two rules of the profile, so every implementation must keep them:
///
/// - Single use (R16, R18): `take` returns an entry at most once — atomically, even when two
///   callbacks with the same state race — so a replayed callback finds nothing.
/// - Bounded life: an entry older than its lifetime (about ten minutes,
///   ``PendingAuthorization/defaultLifetime``) is never returned, so an abandoned
///   authorization cannot be completed much later. Expired entries may be dropped at any time.
///
/// Entries hold a DPoP private key and a PKCE verifier: a persistent store must protect them
/// as it protects sessions.
public protocol AuthorizationStateStore: Sendable {
    /// Keeps `pending` under its `state`, replacing any entry with the same state.
    func save(_ pending: PendingAuthorization) async throws
    /// Removes and returns the entry for `state`; `nil` when there is none, it was already
    /// taken, or it expired.
    func take(state: String) async throws -> PendingAuthorization?
}

/// An ``AuthorizationStateStore`` in this process's memory: for apps whose callback reaches
/// the process that called `authorize`, and for tests.
///
/// Expired entries are dropped whenever an entry is saved, so abandoned authorizations do not
/// accumulate.
public actor InMemoryAuthorizationStateStore: AuthorizationStateStore {
    private var entries: [String: PendingAuthorization] = [:]
    private let lifetime: Duration
    private let now: @Sendable () -> Date

    /// - Parameters:
    ///   - lifetime: how long an entry can be taken after it was created.
    ///   - now: the clock entries are aged by (tests move it).
    public init(
        lifetime: Duration = PendingAuthorization.defaultLifetime, now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.lifetime = lifetime
        self.now = now
    }

    public func save(_ pending: PendingAuthorization) {
        let current = now()
        entries = entries.filter { !$0.value.isExpired(at: current, lifetime: lifetime) }
        entries[pending.state] = pending
    }

    public func take(state: String) -> PendingAuthorization? {
        guard let pending = entries.removeValue(forKey: state) else { return nil }
        return pending.isExpired(at: now(), lifetime: lifetime) ? nil : pending
    }

    /// How many entries are kept, expired ones included until the next `save`.
    public var count: Int { entries.count }
}
