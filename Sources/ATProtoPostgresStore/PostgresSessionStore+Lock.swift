import ATProtoOAuth
import Foundation
import PostgresNIO

extension PostgresSessionStore {
    /// The first key of the two-key advisory locks this store takes (`'atpo'` as an int4), so
    /// they do not collide with other applications' advisory locks in the same database. Holders show in `pg_locks` as
    /// `locktype = 'advisory' AND classid = lockNamespace`.
    public static let lockNamespace: Int32 = 0x6174_706f

    /// Runs `body` holding the account's advisory lock, which excludes every other holder for
    /// `did` — tasks of this process, other processes, other machines — for as long as `body`
    /// runs (R24).
    ///
    /// The lock is PostgreSQL's `pg_advisory_lock(namespace, hashtext(did))`, held by one pooled
    /// connection: the server waits up to `timeout` (`lock_timeout`) for it, then
    /// `.lockTimeout` is thrown. `load` and `save` made inside `body` go through that
    /// connection, and each `save` is committed at once — the new single-use refresh token is
    /// durable before anything else happens (R24) — rather than at the end of `body`. The
    /// lock is released on every path out of `body`; if releasing fails, the connection is
    /// closed, and the server releases the lock with it, as it does when the holding process
    /// dies (SIGKILL included) or loses its connection.
    ///
    /// Re-entrant: a `withLock` for the same DID inside `body` runs at once on the same lock.
    public func withLock<T: Sendable>(
        _ did: DID, timeout: Duration, _ body: @Sendable () async throws -> T
    ) async throws -> T {
        let me = ObjectIdentifier(self)
        if LockContext.held.contains(where: { $0.store == me && $0.did == did }) {
            return try await body()
        }
        try await prepare()
        // The body's own errors pass through untouched; only the store's are wrapped.
        let outcome = try await withoutActuallyEscaping(body) { body in
            try await leasedForLock(did: did, timeout: timeout, body)
        }
        return try outcome.get()
    }

    private func leasedForLock<T: Sendable>(
        did: DID, timeout: Duration, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> Result<T, any Error> {
        try await leased(doing: "locking the account", did: did) { connection in
            try await self.acquire(did, timeout: timeout, on: connection)
            let held = HeldLock(store: ObjectIdentifier(self), did: did, connection: connection)
            let outcome: Result<T, any Error>
            do {
                outcome = .success(
                    try await LockContext.$held.withValue(LockContext.held + [held]) { try await body() })
            } catch {
                outcome = .failure(error)
            }
            await self.release(did, on: connection)
            return outcome
        }
    }

    /// `lock_timeout` and a matching `statement_timeout` are set in the same statement that
    /// waits (one round trip); PostgreSQL evaluates the select list left to right.
    private func acquire(_ did: DID, timeout: Duration, on connection: PostgresConnection) async throws {
        let lockMilliseconds = max(1, Self.milliseconds(timeout))
        let statementMilliseconds = lockMilliseconds + Self.milliseconds(configuration.queryTimeout)
        do {
            try await query(
                connection,
                """
                SELECT set_config('lock_timeout', \("\(lockMilliseconds)"), false),
                    set_config('statement_timeout', \("\(statementMilliseconds)"), false),
                    pg_advisory_lock(\(Self.lockNamespace), hashtext(\(did.rawValue)))
                """,
                doing: "locking the account", did: did,
                timeout: timeout + configuration.queryTimeout)
        } catch let error as PostgresStoreError where error.code == .lockTimeout {
            throw PostgresStoreError(
                .lockTimeout, did: did.rawValue,
                "another atproto-oauth process held this account's lock for over \(timeout); try again "
                    + "(holders show in pg_locks with locktype = 'advisory')",
                underlying: error.underlying)
        } catch {
            // A wait cut short on our side may still be granted to this connection later:
            // close it, so the server can never keep a lock for nobody.
            connection.closeNow()
            throw error
        }
    }

    /// Releases the lock and restores the connection's timeouts; closes the connection when
    /// that fails, which releases the lock server-side.
    private func release(_ did: DID, on connection: PostgresConnection) async {
        let statementMilliseconds = Self.milliseconds(configuration.queryTimeout)
        do {
            let rows = try await query(
                connection,
                """
                SELECT pg_advisory_unlock(\(Self.lockNamespace), hashtext(\(did.rawValue))),
                    set_config('lock_timeout', '0', false),
                    set_config('statement_timeout', \("\(statementMilliseconds)"), false)
                """,
                doing: "unlocking the account", did: did)
            guard let row = rows.first else { return connection.closeNow() }
            let (unlocked, _, _) = try row.decode((Bool, String, String).self)
            if !unlocked { connection.closeNow() }
        } catch {
            connection.closeNow()
        }
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
