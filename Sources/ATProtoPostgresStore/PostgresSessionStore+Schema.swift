import Foundation
import PostgresNIO

extension PostgresSessionStore {
    /// The schema versions this build knows, oldest first: version `n` is `migrations[n - 1]`.
    /// Forward only: a released migration is never edited; a change is a new entry.
    static let migrations: [[String]] = [
        // 1: sessions (queryable columns + the sealed session) and settings (default account).
        [
            """
            CREATE TABLE atproto_oauth_sessions (
                did         text PRIMARY KEY,
                handle      text,
                pds         text NOT NULL,
                issuer      text NOT NULL,
                expires_at  timestamptz NOT NULL,
                needs_login boolean NOT NULL,
                created_at  timestamptz NOT NULL,
                updated_at  timestamptz NOT NULL DEFAULT now(),
                format      integer NOT NULL,
                key_id      text NOT NULL,
                sealed      bytea NOT NULL
            )
            """,
            "CREATE INDEX atproto_oauth_sessions_handle ON atproto_oauth_sessions (lower(handle))",
            "CREATE INDEX atproto_oauth_sessions_expires_at ON atproto_oauth_sessions (expires_at)",
            """
            CREATE TABLE atproto_oauth_settings (
                name  text PRIMARY KEY,
                value text NOT NULL
            )
            """,
        ]
    ]

    /// The schema version this build writes.
    public static var schemaVersion: Int { migrations.count }

    /// One round trip when the schema is current. Otherwise, in one transaction holding a
    /// dedicated advisory lock (so concurrent first runs migrate once): create the version
    /// table, re-read the version, apply each missing migration and record it.
    func migrate() async throws {
        switch try await currentSchemaVersion() {
        case Self.schemaVersion?: return
        case let version? where version > Self.schemaVersion: throw newerSchema(version)
        default: break
        }
        try await leased(doing: "creating the schema", did: nil) { connection in
            try await self.query(connection, "BEGIN", doing: "creating the schema", did: nil)
            do {
                try await self.query(
                    connection, "SELECT pg_advisory_xact_lock(\(Self.lockNamespace), 0)",
                    doing: "creating the schema", did: nil)
                try await self.query(
                    connection,
                    """
                    CREATE TABLE IF NOT EXISTS atproto_oauth_schema (
                        version    integer PRIMARY KEY,
                        applied_at timestamptz NOT NULL DEFAULT now()
                    )
                    """,
                    doing: "creating the schema", did: nil)
                let rows = try await self.query(
                    connection, "SELECT coalesce(max(version), 0) FROM atproto_oauth_schema",
                    doing: "reading the schema version", did: nil)
                let version = try rows.first?.decode(Int.self) ?? 0
                if version > Self.schemaVersion { throw self.newerSchema(version) }
                for next in (version + 1)..<(Self.schemaVersion + 1) {
                    for statement in Self.migrations[next - 1] {
                        try await self.query(
                            connection, PostgresQuery(unsafeSQL: statement),
                            doing: "migrating the schema to version \(next)", did: nil)
                    }
                    try await self.query(
                        connection, "INSERT INTO atproto_oauth_schema (version) VALUES (\(next))",
                        doing: "migrating the schema to version \(next)", did: nil)
                }
                try await self.query(connection, "COMMIT", doing: "migrating the schema", did: nil)
            } catch {
                _ = try? await self.query(connection, "ROLLBACK", doing: "rolling back", did: nil)
                throw error
            }
        }
    }

    /// The recorded schema version; `nil` when there is no version table yet.
    private func currentSchemaVersion() async throws -> Int? {
        try await leased(doing: "reading the schema version", did: nil) { connection in
            do {
                let rows = try await self.query(
                    connection, "SELECT coalesce(max(version), 0) FROM atproto_oauth_schema",
                    doing: "reading the schema version", did: nil)
                return try rows.first?.decode(Int.self) ?? 0
            } catch let error as PostgresStoreError {
                if let psql = error.underlying as? PSQLError, psql.serverInfo?[.sqlState] == "42P01" { return nil }
                throw error
            }
        }
    }

    private func newerSchema(_ version: Int) -> PostgresStoreError {
        PostgresStoreError(
            .newerSchema,
            "the database's atproto-oauth schema is version \(version), newer than this build's "
                + "\(Self.schemaVersion); upgrade atproto-oauth (nothing was changed)")
    }
}
