import ATProtoOAuth
import ATProtoPostgresStore
import Foundation
import Logging
import PostgresNIO

/// The PostgreSQL server the tests use, from `ATPROTO_OAUTH_TEST_POSTGRES` (a `postgres://`
/// URL of a user that may create databases; `scripts/test` starts a throwaway cluster and sets
/// it). Without it the PostgreSQL cases fail with ``PostgresTestServer/Unavailable`` — in CI
/// (`CI=true`) always; locally unless `ATPROTO_OAUTH_SKIP_POSTGRES_TESTS=1` opts out, which
/// removes those cases instead. They never pass silently.
public enum PostgresTestServer {
    /// The variable naming the server.
    public static let urlVariable = "ATPROTO_OAUTH_TEST_POSTGRES"
    /// The explicit local opt-out.
    public static let skipVariable = "ATPROTO_OAUTH_SKIP_POSTGRES_TESTS"

    /// Why a PostgreSQL case cannot run.
    public struct Unavailable: Error, CustomStringConvertible {
        public let description: String
    }

    static var environment: [String: String] { ProcessInfo.processInfo.environment }

    /// Whether the PostgreSQL cases are explicitly switched off (never in CI).
    public static var skipped: Bool {
        environment["CI"] != "true" && environment[skipVariable] == "1" && environment[urlVariable] == nil
    }

    /// The server's URL, or a clear failure.
    public static func url() throws -> String {
        if let url = environment[urlVariable], !url.isEmpty { return url }
        let why =
            environment["CI"] == "true"
            ? "CI=true but \(urlVariable) is not set: scripts/test starts a throwaway cluster and exports it"
            : "\(urlVariable) is not set: run `eval \"$(scripts/postgres-test-cluster start)\"` first, "
                + "or opt out explicitly with \(skipVariable)=1"
        throw Unavailable(description: "PostgreSQL tests need a server: " + why)
    }

    /// The cluster directory and script when the server is the throwaway cluster (`halt`,
    /// `resume`), else `nil`.
    public static var cluster: (directory: String, script: String)? {
        guard let directory = environment["ATPROTO_OAUTH_TEST_PGCLUSTER"],
            let script = environment["ATPROTO_OAUTH_TEST_PGSCRIPT"]
        else { return nil }
        return (directory, script)
    }

    /// A new, empty database on the server, for one test; returns its URL.
    public static func freshDatabase(prefix: String = "t") async throws -> String {
        let base = try url()
        let name = "\(prefix)_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16))"
        try await withAdminClient(base) { client in
            try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \"\(name)\""))
        }
        return try replacingDatabase(in: base, with: name)
    }

    /// Drops a database made by ``freshDatabase(prefix:)`` (best effort).
    public static func drop(_ databaseURL: String) async {
        guard let base = try? url(), let components = URLComponents(string: databaseURL) else { return }
        let name = String(components.path.dropFirst())
        guard !name.isEmpty, !name.contains("\"") else { return }
        try? await withAdminClient(base) { client in
            try await client.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \"\(name)\" WITH (FORCE)"))
        }
    }

    /// Runs one statement as the test user against `databaseURL` (e.g. to damage a row).
    public static func execute(_ sql: String, on databaseURL: String) async throws {
        try await withAdminClient(databaseURL) { client in
            try await client.query(PostgresQuery(unsafeSQL: sql))
        }
    }

    /// `base` with its database path replaced by `name` (query parameters kept).
    public static func replacingDatabase(in base: String, with name: String) throws -> String {
        guard var components = URLComponents(string: base) else {
            throw Unavailable(description: "\(urlVariable) is not a URL")
        }
        components.path = "/" + name
        guard let string = components.string else { throw Unavailable(description: "cannot form a database URL") }
        return string
    }

    static func withAdminClient(_ url: String, _ body: @Sendable (PostgresClient) async throws -> Void) async throws {
        let settings = try PostgresStoreConfiguration(url: url)
        var configuration = PostgresClient.Configuration(
            host: settings.host, port: settings.port, username: settings.username, password: settings.password,
            database: settings.database, tls: .disable)
        configuration.options.connectTimeout = .seconds(5)
        let client = PostgresClient(configuration: configuration)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            try await body(client)
        }
    }
}
