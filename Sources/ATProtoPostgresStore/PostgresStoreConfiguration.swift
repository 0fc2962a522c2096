import Foundation
import NIOSSL
import PostgresNIO

/// Where the PostgreSQL store connects and how long it waits, from a `postgres://` URL.
///
///     postgres://atproto:secret@db.internal:5432/sessions?sslmode=require&pool_max=8
///
/// - user, password, host, port (default 5432) and database (default: the user name) as
///   libpq reads them; without a password in the URL, `PGPASSWORD` is used.
/// - `sslmode`: `disable`, `prefer` (default: TLS when the server offers it, unverified),
///   `require` (TLS, unverified, as libpq), `verify-ca` (TLS, chain checked), `verify-full`
///   (chain and host name checked); `sslrootcert=PATH` adds trust roots.
/// - `connect_timeout` and `query_timeout` (seconds, defaults 5 and 10): a database that is
///   down or silent fails within them, never hangs. `pool_max` (default 8) bounds the pool.
///
/// The password is never part of ``description`` nor of any error.
public struct PostgresStoreConfiguration: Sendable, CustomStringConvertible {
    /// The server's host name or address.
    public var host: String
    /// The server's TCP port.
    public var port: Int
    /// The user to log in as.
    public var username: String
    /// The password, from the URL or `PGPASSWORD`; never printed.
    public var password: String?
    /// The database holding the store's tables.
    public var database: String
    /// The libpq `sslmode` asked for.
    public var sslMode: SSLMode
    /// Extra PEM trust roots for `verify-ca` / `verify-full`.
    public var rootCertificatePath: String?
    /// How long to wait for a connection to the server.
    public var connectTimeout: Duration
    /// How long any one database operation may take (connect included), on the client and,
    /// as `statement_timeout`, on the server.
    public var queryTimeout: Duration
    /// The most connections this process keeps open to the server.
    public var maximumConnections: Int

    /// The libpq TLS modes this store understands.
    public enum SSLMode: String, Sendable, CaseIterable {
        /// Plain TCP.
        case disable
        /// TLS when the server offers it, without certificate checks (libpq's default).
        case prefer
        /// TLS always, without certificate checks (libpq's meaning of `require`).
        case require
        /// TLS always, the certificate chain checked but not the host name.
        case verifyCA = "verify-ca"
        /// TLS always, the chain and the host name checked.
        case verifyFull = "verify-full"
    }

    /// Whether `string` names a PostgreSQL store (`postgres://` or `postgresql://`) rather
    /// than a directory.
    public static func isPostgresURL(_ string: String) -> Bool {
        let lowered = string.lowercased()
        return lowered.hasPrefix("postgres://") || lowered.hasPrefix("postgresql://")
    }

    /// Parses a `postgres://` URL; `environment` supplies `PGPASSWORD` when the URL has no
    /// password. Throws `.invalidConfiguration` naming the bad part (never the password).
    /// - Parameter defaultMaximumConnections: the pool's size when the URL gives no `pool_max`.
    ///   Each refresh in flight holds one connection for as long as it holds the account's
    ///   lock, so a client running N refreshes at once wants at least N + 1.
    public init(
        url string: String, environment: [String: String] = ProcessInfo.processInfo.environment,
        defaultMaximumConnections: Int = 8
    ) throws {
        guard Self.isPostgresURL(string), let components = URLComponents(string: string) else {
            throw PostgresStoreError(
                .invalidConfiguration, "the store URL must look like postgres://user[:password]@host[:port]/database")
        }
        guard let host = components.host, !host.isEmpty else {
            throw PostgresStoreError(.invalidConfiguration, "the store URL names no host")
        }
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        self.port = components.port ?? 5432
        guard let user = components.user, !user.isEmpty else {
            throw PostgresStoreError(.invalidConfiguration, "the store URL names no user (postgres://USER@host/db)")
        }
        self.username = user.removingPercentEncoding ?? user
        if let password = components.password {
            self.password = password.removingPercentEncoding ?? password
        } else {
            self.password = environment["PGPASSWORD"].flatMap { $0.isEmpty ? nil : $0 }
        }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        self.database = path.isEmpty ? username : (path.removingPercentEncoding ?? path)

        var query: [String: String] = [:]
        for item in components.queryItems ?? [] { query[item.name] = item.value ?? "" }
        let mode = query.removeValue(forKey: "sslmode") ?? "prefer"
        guard let sslMode = SSLMode(rawValue: mode) else {
            throw PostgresStoreError(
                .invalidConfiguration,
                "sslmode=\(mode) is not one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self.sslMode = sslMode
        self.rootCertificatePath = query.removeValue(forKey: "sslrootcert")
        self.connectTimeout = try Self.seconds(
            query.removeValue(forKey: "connect_timeout"), name: "connect_timeout", default: 5)
        self.queryTimeout = try Self.seconds(
            query.removeValue(forKey: "query_timeout"), name: "query_timeout", default: 10)
        if let pool = query.removeValue(forKey: "pool_max") {
            guard let count = Int(pool), (1...100).contains(count) else {
                throw PostgresStoreError(
                    .invalidConfiguration, "pool_max must be a whole number from 1 to 100, got \(pool)")
            }
            self.maximumConnections = count
        } else {
            self.maximumConnections = min(max(defaultMaximumConnections, 1), 100)
        }
        // libpq parameters that change nothing here are accepted; unknown ones are refused so
        // a typo (sslmod=require) does not silently weaken the connection.
        query.removeValue(forKey: "application_name")
        if let unknown = query.keys.sorted().first {
            throw PostgresStoreError(
                .invalidConfiguration,
                "unknown store URL parameter '\(unknown)' (known: sslmode, sslrootcert, connect_timeout, "
                    + "query_timeout, pool_max, application_name)")
        }
    }

    private static func seconds(_ value: String?, name: String, default fallback: Double) throws -> Duration {
        guard let value else { return .milliseconds(Int64(fallback * 1000)) }
        guard let seconds = Double(value), seconds > 0, seconds <= 600 else {
            throw PostgresStoreError(.invalidConfiguration, "\(name) must be seconds between 0 and 600, got \(value)")
        }
        return .milliseconds(Int64(seconds * 1000))
    }

    /// `postgres://user@host:port/database` — the URL without its password, for messages.
    public var description: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "postgres://\(username)@\(shownHost):\(port)/\(database)"
    }

    /// PostgresNIO's client configuration for these settings.
    func clientConfiguration() throws -> PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: try tls())
        configuration.options.connectTimeout = connectTimeout
        configuration.options.maximumConnections = maximumConnections
        configuration.options.minimumConnections = 0
        configuration.options.connectionIdleTimeout = .seconds(60)
        let milliseconds =
            queryTimeout.components.seconds * 1000 + queryTimeout.components.attoseconds / 1_000_000_000_000_000
        configuration.options.additionalStartupParameters = [
            ("statement_timeout", "\(milliseconds)"),
            ("application_name", "atproto-oauth"),
        ]
        return configuration
    }

    private func tls() throws -> PostgresClient.Configuration.TLS {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch sslMode {
        case .disable:
            return .disable
        case .prefer, .require:
            tls.certificateVerification = .none
        case .verifyCA:
            tls.certificateVerification = .noHostnameVerification
        case .verifyFull:
            tls.certificateVerification = .fullVerification
        }
        if let rootCertificatePath {
            do {
                let roots = try NIOSSLCertificate.fromPEMFile(rootCertificatePath)
                tls.trustRoots = .certificates(roots)
            } catch {
                throw PostgresStoreError(
                    .invalidConfiguration, "sslrootcert \(rootCertificatePath) holds no usable PEM certificate",
                    underlying: error)
            }
        }
        return sslMode == .prefer ? .prefer(tls) : .require(tls)
    }
}
