import ATProtoOAuth
import Foundation
import Logging
import PostgresNIO

/// A ``SessionStore`` in PostgreSQL, for services that act for many accounts from several
/// machines: one row per DID, secrets encrypted, and a refresh lock that holds across
/// machines (R24).
///
/// - **Rows.** `atproto_oauth_sessions` keeps, per DID, the handle, PDS, issuer, access-token
///   expiry, `needs_login` and `updated_at` in plain columns (queryable), and the whole session
///   JSON — refresh token, access token, DPoP private key — sealed with AES-GCM under a
///   ``StoreKey`` and bound to the DID. The key's identifier sits beside it, so a wrong key is
///   a clear ``PostgresStoreError/Code/wrongKey`` that changes nothing.
/// - **Lock.** ``withLock(_:timeout:_:)`` holds a PostgreSQL advisory lock keyed by the DID
///   on one pooled connection, waiting at most `timeout` (`lock_timeout`). The server drops it
///   when the holder's connection ends — a process killed with SIGKILL included. `load` and
///   `save` called inside `body` go through that same connection.
/// - **Schema.** Created and migrated forward by the store on first use, recorded in
///   `atproto_oauth_schema`; a schema newer than this build knows is refused.
/// - **Failures.** Every operation is bounded by the configuration's timeouts; a database
///   that is down is a ``PostgresStoreError`` (`.unavailable`, `.timeout`), never a hang.
///
/// ```swift
/// let store = try PostgresSessionStore(
///     configuration: try PostgresStoreConfiguration(url: "postgres://atproto@db/sessions?sslmode=require"),
///     key: try StoreKey.resolve(file: "/etc/atproto-oauth/store.key"))
/// let client = OAuthClient(configuration: .init(), transport: transport, txtResolver: resolver, store: store)
/// // …
/// await store.shutdown()
/// ```
public final class PostgresSessionStore: DefaultAccountStore, CustomStringConvertible {
    /// Where the store connects.
    public let configuration: PostgresStoreConfiguration
    let key: StoreKey
    let client: PostgresClient
    let logger: Logger
    private let runner: Task<Void, Never>
    private let preparation = Locked<Task<Void, any Error>?>(nil)
    let counter = Locked<Int>(0)

    /// Builds the store and starts its connection pool; nothing is sent until the first
    /// operation, which creates or migrates the schema (or call ``prepare()``).
    public init(configuration: PostgresStoreConfiguration, key: StoreKey, logger: Logger? = nil) throws {
        self.configuration = configuration
        self.key = key
        let logger = logger ?? Logger(label: "atproto-oauth.postgres", factory: { _ in SwiftLogNoOpLogHandler() })
        self.logger = logger
        let client = PostgresClient(
            configuration: try configuration.clientConfiguration(), backgroundLogger: logger)
        self.client = client
        self.runner = Task { await client.run() }
    }

    deinit { runner.cancel() }

    /// Closes the pool's connections (releasing any lock still held). The store is unusable
    /// afterwards.
    public func shutdown() async {
        runner.cancel()
        await runner.value
    }

    /// `postgres://user@host:port/db` (no password).
    public var description: String { configuration.description }

    /// How many statements this store has sent to the database (each one round trip).
    public var roundTrips: Int { counter.value }

    /// Creates or migrates the schema once per store; later calls return at once. Every
    /// operation calls it first. A failure is not remembered: the next operation tries again.
    public func prepare() async throws {
        let task = preparation.withLock { current -> Task<Void, any Error> in
            if let current { return current }
            let task = Task { try await self.migrate() }
            current = task
            return task
        }
        do {
            try await task.value
        } catch {
            preparation.withLock { current in
                if current == task { current = nil }
            }
            throw error
        }
    }

    // MARK: SessionStore

    /// The stored session for `did`: decrypted, checked and upgraded. `.accountNotFound`
    /// when there is none; `.wrongKey` / `.corruptRow` when it cannot be used.
    public func load(_ did: DID) async throws -> Session {
        try await prepare()
        let row = try await withConnection(doing: "loading the session", did: did) { connection in
            let rows = try await self.query(
                connection,
                "SELECT key_id, sealed FROM atproto_oauth_sessions WHERE did = \(did.rawValue)",
                doing: "loading the session", did: did)
            return try rows.first.map { try $0.decode((String, Data).self) }
        }
        guard let (keyID, sealed) = row else {
            throw PostgresStoreError(
                .accountNotFound, did: did.rawValue, "no stored account; log it in with: atproto-oauth login \(did)")
        }
        return try unseal(did: did.rawValue, keyID: keyID, sealed: sealed)
    }

    /// Stores `session` (sealed) under its DID in one statement: a reader sees the old row or
    /// the new one. A row sealed under another key is not replaced (`.wrongKey`): the key in
    /// use cannot read it, so it may belong to a deployment that still can.
    public func save(_ session: Session) async throws {
        try await prepare()
        var current = session
        current.version = Session.currentVersion
        let json: Data
        do {
            json = try current.encoded()
        } catch {
            throw PostgresStoreError(
                .corruptRow, did: session.did.rawValue, "cannot encode the session", underlying: error)
        }
        let sealed = try key.seal(json, did: session.did.rawValue)
        let did = session.did.rawValue
        let handle = session.handle?.rawValue
        let pds = session.pds.absoluteString
        let issuer = session.issuer
        let expiresAt = session.expiresAt
        let needsLogin = session.needsLogin
        let createdAt = session.createdAt
        let keyID = key.identifier
        let format = Session.currentVersion
        let written = try await withConnection(doing: "saving the session", did: session.did) { connection in
            let rows = try await self.query(
                connection,
                """
                INSERT INTO atproto_oauth_sessions
                    (did, handle, pds, issuer, expires_at, needs_login, created_at, updated_at, format, key_id, sealed)
                VALUES (\(did), \(handle), \(pds), \(issuer), \(expiresAt), \(needsLogin), \(createdAt), now(),
                    \(format), \(keyID), \(sealed))
                ON CONFLICT (did) DO UPDATE SET
                    handle = EXCLUDED.handle, pds = EXCLUDED.pds, issuer = EXCLUDED.issuer,
                    expires_at = EXCLUDED.expires_at, needs_login = EXCLUDED.needs_login,
                    created_at = EXCLUDED.created_at, updated_at = now(), format = EXCLUDED.format,
                    key_id = EXCLUDED.key_id, sealed = EXCLUDED.sealed
                WHERE atproto_oauth_sessions.key_id = EXCLUDED.key_id
                RETURNING did
                """,
                doing: "saving the session", did: session.did)
            return rows.count
        }
        guard written == 1 else {
            throw PostgresStoreError(
                .wrongKey, did: did,
                "the stored session is sealed with another store key than \(key); it was left as it is "
                    + "(use the key it was stored with, or log the account out with that key first)")
        }
    }

    /// Deletes the row of `did` (and the default-account setting when it names it), in one
    /// statement. `.accountNotFound` when there is no such row.
    public func delete(_ did: DID) async throws {
        try await prepare()
        let deleted = try await withConnection(doing: "deleting the session", did: did) { connection in
            let rows = try await self.query(
                connection,
                """
                WITH gone AS (DELETE FROM atproto_oauth_sessions WHERE did = \(did.rawValue) RETURNING did),
                cleared AS (
                    DELETE FROM atproto_oauth_settings
                    WHERE name = 'default_account' AND value IN (SELECT did FROM gone))
                SELECT did FROM gone
                """,
                doing: "deleting the session", did: did)
            return rows.count
        }
        guard deleted > 0 else {
            throw PostgresStoreError(.accountNotFound, did: did.rawValue, "no stored account to delete")
        }
    }

    /// Every row: the sessions that decrypt and decode, sorted like the file store (handle,
    /// else DID, then DID), and one problem per row that does not (wrong key, damaged,
    /// newer format) — listed, never deleted.
    public func list() async throws -> SessionListing {
        try await prepare()
        let rows = try await withConnection(doing: "listing the sessions", did: nil) { connection in
            let rows = try await self.query(
                connection, "SELECT did, key_id, sealed FROM atproto_oauth_sessions",
                doing: "listing the sessions", did: nil)
            return try rows.map { try $0.decode((String, String, Data).self) }
        }
        var sessions: [Session] = []
        var problems: [SessionStoreProblem] = []
        for (did, keyID, sealed) in rows {
            do {
                sessions.append(try unseal(did: did, keyID: keyID, sealed: sealed))
            } catch let error as PostgresStoreError {
                problems.append(SessionStoreProblem(location: "row \(did)", reason: error.reason, underlying: error))
            }
        }
        sessions.sort {
            ($0.handle?.rawValue ?? $0.did.rawValue, $0.did.rawValue)
                < ($1.handle?.rawValue ?? $1.did.rawValue, $1.did.rawValue)
        }
        problems.sort { $0.location < $1.location }
        return SessionListing(sessions: sessions, problems: problems)
    }

    // MARK: DefaultAccountStore

    /// The default account, when one is set and the database answers (`nil` otherwise).
    public func defaultAccount() async -> DID? {
        try? await readDefaultAccount()
    }

    /// The default account, with the database's errors.
    public func readDefaultAccount() async throws -> DID? {
        try await prepare()
        let value = try await withConnection(doing: "reading the default account", did: nil) { connection in
            let rows = try await self.query(
                connection, "SELECT value FROM atproto_oauth_settings WHERE name = 'default_account'",
                doing: "reading the default account", did: nil)
            return try rows.first.map { try $0.decode(String.self) }
        }
        return value.flatMap { try? DID($0) }
    }

    /// Makes `did` the default account (`nil` clears it).
    public func setDefault(_ did: DID?) async throws {
        try await prepare()
        _ = try await withConnection(doing: "setting the default account", did: did) { connection in
            if let did {
                try await self.query(
                    connection,
                    """
                    INSERT INTO atproto_oauth_settings (name, value) VALUES ('default_account', \(did.rawValue))
                    ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value
                    """,
                    doing: "setting the default account", did: did)
            } else {
                try await self.query(
                    connection, "DELETE FROM atproto_oauth_settings WHERE name = 'default_account'",
                    doing: "clearing the default account", did: nil)
            }
        }
    }

    // MARK: Rows

    func unseal(did: String, keyID: String, sealed: Data) throws -> Session {
        guard keyID == key.identifier else {
            throw PostgresStoreError(
                .wrongKey, did: did,
                "the session is sealed with store key \(keyID), not with \(key.identifier) in use; "
                    + "give the key it was stored with (--store-key-file or \(StoreKey.environmentVariable))")
        }
        let json = try key.open(sealed, did: did)
        let session: Session
        do {
            session = try Session.decode(json)
        } catch {
            throw PostgresStoreError(
                .corruptRow, did: did, "the stored session is not usable (\(error)); log this account in again",
                underlying: error)
        }
        guard session.did.rawValue == did else {
            throw PostgresStoreError(.corruptRow, did: did, "the row holds the session of \(session.did)")
        }
        return session
    }
}
