import ATProtoOAuth
import PostgresNIO

/// The one error type of the PostgreSQL session store.
///
/// A public struct wrapping a private code enum (the async-http-client pattern) so cases can
/// grow without breaking callers. `underlying` keeps the cause (PostgresNIO's `PSQLError`, a
/// crypto or file-system error) for callers that branch on it; `description` is fit to show a
/// person and never carries a secret: no token, key, password or query parameter — only the
/// server's SQLSTATE and message, host names and DIDs.
public struct PostgresStoreError: Error, Sendable, CustomStringConvertible {
    /// Broad classes of failure, stable for callers that branch on them.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidConfiguration
            case unavailable
            case timeout
            case lockTimeout
            case accountNotFound
            case newerSchema
            case missingKey
            case invalidKey
            case wrongKey
            case corruptRow
            case query
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        public var description: String { base.rawValue }

        /// The store URL, TLS settings or a parameter is not usable (fix the URL or flag).
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// The database cannot be reached, refused the connection or closed it.
        public static let unavailable = Code(.unavailable)
        /// The database did not answer within the query or connect timeout.
        public static let timeout = Code(.timeout)
        /// `withLock` waited longer than its timeout for another holder of the account's lock.
        public static let lockTimeout = Code(.lockTimeout)
        /// No session is stored for the DID.
        public static let accountNotFound = Code(.accountNotFound)
        /// The database's schema was created by a newer atproto-oauth; this build will not touch it.
        public static let newerSchema = Code(.newerSchema)
        /// No store key was given (`--store-key-file` or `ATPROTO_OAUTH_STORE_KEY`).
        public static let missingKey = Code(.missingKey)
        /// The store key is malformed (not 32 bytes of base64) or its file is unsafe (mode).
        public static let invalidKey = Code(.invalidKey)
        /// A row was encrypted under another key (or altered): nothing is decrypted or changed.
        public static let wrongKey = Code(.wrongKey)
        /// A row decrypted but is not a session this build can read.
        public static let corruptRow = Code(.corruptRow)
        /// Any other error the database reported (SQLSTATE in the reason).
        public static let query = Code(.query)
    }

    /// What kind of failure this is.
    public let code: Code
    /// The account concerned, when the error is about one.
    public let did: String?
    /// What is wrong and what to do about it, in words a person can act on.
    public let reason: String
    /// The error that caused this one (e.g. PostgresNIO's `PSQLError`), kept for callers and
    /// debugging; its own description is not part of ``description``.
    public let underlying: (any Error & Sendable)?

    /// Makes an error; `underlying` is the cause, when there is one.
    public init(_ code: Code, did: String? = nil, _ reason: String, underlying: (any Error & Sendable)? = nil) {
        self.code = code
        self.did = did
        self.reason = reason
        self.underlying = underlying
    }

    /// `postgres store: <did>: <reason>`.
    public var description: String {
        guard let did else { return "postgres store: \(reason)" }
        return "postgres store: \(did): \(reason)"
    }
}

extension PostgresStoreError {
    /// Maps whatever a database call threw onto this type, keeping it as the cause. `doing` says
    /// what was being done ("loading the session"), `target` names the server (no password).
    static func wrap(_ error: any Error, doing: String, target: String, did: DID? = nil) -> PostgresStoreError {
        if let error = error as? PostgresStoreError { return error }
        let did = did?.rawValue
        if error is CancellationError {
            return PostgresStoreError(.timeout, did: did, "\(doing) was cancelled", underlying: CancellationError())
        }
        if error is PostgresDecodingError {
            return PostgresStoreError(
                .corruptRow, did: did, "\(doing): a column does not hold what this build expects", underlying: error)
        }
        guard let psql = error as? PSQLError else {
            return PostgresStoreError(
                .unavailable, did: did, "\(doing) failed: cannot reach \(target) (\(type(of: error)))",
                underlying: error)
        }
        if psql.code == .server, let state = psql.serverInfo?[.sqlState] {
            let message = psql.serverInfo?[.message] ?? "no message"
            switch state {
            case "55P03":
                return PostgresStoreError(
                    .lockTimeout, did: did, "\(doing): another process held the account's lock too long",
                    underlying: psql)
            case "57014":
                return PostgresStoreError(
                    .timeout, did: did, "\(doing): the database cancelled the statement (\(message))",
                    underlying: psql)
            case "57P01", "57P02", "57P03", "08000", "08003", "08006", "08001", "08004":
                return PostgresStoreError(
                    .unavailable, did: did, "\(doing): \(target) is not accepting work (\(state): \(message))",
                    underlying: psql)
            case "28000", "28P01":
                return PostgresStoreError(
                    .unavailable, did: did,
                    "\(doing): \(target) refused the login (\(state): \(message)); check the user and password "
                        + "(in the URL or PGPASSWORD)",
                    underlying: psql)
            default:
                return PostgresStoreError(
                    .query, did: did, "\(doing) failed at \(target): \(state): \(message)", underlying: psql)
            }
        }
        let detail: String
        switch psql.code {
        case .sslUnsupported: detail = "the server does not offer TLS, which the URL requires (sslmode)"
        case .authMechanismRequiresPassword: detail = "the server wants a password: put it in the URL or PGPASSWORD"
        case .serverClosedConnection, .uncleanShutdown: detail = "the server closed the connection"
        case .connectionError: detail = "cannot connect"
        case .poolClosed, .clientClosedConnection: detail = "the store was closed"
        default: detail = "\(psql.code)"
        }
        return PostgresStoreError(.unavailable, did: did, "\(doing) failed: \(target): \(detail)", underlying: psql)
    }
}
