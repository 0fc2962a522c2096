/// The one error type of the account store.
///
/// A public struct wrapping a private code enum (the async-http-client pattern) so cases can
/// grow without breaking callers. Every error names the file or directory it is about (relative
/// to the store when it lies inside it, so messages stay short) and says what to do, e.g.
///
///     accounts/did:plc:abc.json is readable by group/others (mode 0644);
///     run chmod 600 /home/me/.local/state/atproto-oauth/accounts/did:plc:abc.json
///
/// Errors never carry secrets: the store reports file names and reasons, not file contents.
public struct AccountStoreError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Broad classes of failure, stable for callers that branch on them.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case insecurePermissions
            case wrongOwner
            case notARegularFile
            case accountNotFound
            case ambiguousAccount
            case noAccounts
            case corruptFile
            case newerVersion
            case unsupportedVersion
            case fileSystem
            case lockTimeout
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        public var description: String { base.rawValue }

        /// A file or directory is readable or writable by group or others (fix: chmod).
        public static let insecurePermissions = Code(.insecurePermissions)
        /// A file or directory belongs to another user (fix: chown, or use another store).
        public static let wrongOwner = Code(.wrongOwner)
        /// A symbolic link, directory or device sits where a file or directory was expected.
        public static let notARegularFile = Code(.notARegularFile)
        /// No stored account matches the DID or query.
        public static let accountNotFound = Code(.accountNotFound)
        /// A query matches more than one account; the reason lists the candidates.
        public static let ambiguousAccount = Code(.ambiguousAccount)
        /// The store holds no accounts at all (fix: log in).
        public static let noAccounts = Code(.noAccounts)
        /// A file is not valid JSON or not a valid session/config document.
        public static let corruptFile = Code(.corruptFile)
        /// A file was written by a newer atproto-oauth (format `version` above ours).
        public static let newerVersion = Code(.newerVersion)
        /// A file's format `version` is older than any migration this build knows.
        public static let unsupportedVersion = Code(.unsupportedVersion)
        /// A system call failed (open, write, fsync, rename, mkdir…); the reason names it and errno.
        public static let fileSystem = Code(.fileSystem)
        /// `withLock` waited longer than its timeout for another holder of the account's lock.
        public static let lockTimeout = Code(.lockTimeout)
    }

    public let code: Code
    /// The file or directory concerned: relative to the store (`accounts/did:plc:x.json`)
    /// when inside it, absolute otherwise; `nil` when the error is not about one file.
    public let path: String?
    /// What is wrong and what to do about it, in words a person can act on.
    public let reason: String

    public init(_ code: Code, path: String? = nil, _ reason: String) {
        self.code = code
        self.path = path
        self.reason = reason
    }

    public var description: String {
        guard let path else { return reason }
        return "\(path): \(reason)"
    }
}
